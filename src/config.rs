//! One Config struct for everything that can be set from flags or the environment.

#[derive(Clone)]
pub struct Config {
    pub host: String,
    /// 0 picks a free port (tests do this).
    pub port: u16,
    /// Used when a request carries no SigV4 credential scope.
    pub default_region: String,
    /// Used for every request: like AWS's local emulators, the access key does not choose it.
    pub account_id: String,
    /// Larger request bodies are refused with `RequestEntityTooLarge` (413) before parsing.
    pub max_body_bytes: usize,
    /// Where Lambda tasks are invoked (an endpoint speaking the Lambda Invoke API).
    pub lambda_endpoint: Option<String>,
    /// Step Functions Local's mock configuration, already parsed.
    pub mock_config: Option<std::sync::Arc<crate::services::sfn::integrations::mock::MockConfig>>,
    /// Origins whose web pages may change state (`--allow-origin`; `*` for any); see
    /// `server::browser`.
    pub allowed_origins: Vec<String>,
    /// Host names besides localhost and loopback addresses that browsers may address us by
    /// (`--allowed-host`; `*` for any).
    pub allowed_hosts: Vec<String>,
    /// A connection that answers nothing and reads or writes nothing for this long (idle
    /// between keep-alive requests, or stuck half-way through a request) is closed.
    pub idle_timeout: std::time::Duration,
    /// Connections served at once; past it, new ones wait in the listen backlog.
    pub max_connections: usize,
    /// Whether the clock starts frozen, and at what time (`--clock`, `--clock-start`).
    pub clock: crate::clock::ClockStart,
    /// How many traces `/_stepyard/traces` keeps (`--trace-buffer`; 0 turns tracing off).
    pub trace_buffer: usize,
    /// What the trace buffer may weigh (`--trace-buffer-bytes`).
    pub trace_buffer_bytes: usize,
    /// Where spans go over OTLP/HTTP (`--otlp-endpoint`), if anywhere.
    pub otlp_endpoint: Option<String>,
    /// `--data-dir`: keep state in a database there (see `persist`); `None`: in memory only.
    pub data_dir: Option<std::path::PathBuf>,
    /// `--init-state`: a state document loaded at start (when the data directory is empty).
    pub init_state: Option<std::path::PathBuf>,
    /// Check every request's SigV4 signature (`--verify-signatures`) against `credentials`
    /// and the temporary credentials STS AssumeRole handed out; see `server::signature`.
    pub verify_signatures: bool,
    /// The keys signatures are checked against (`--credentials KEY:SECRET`).
    pub credentials: crate::server::signature::Credentials,
    /// When set, `/_stepyard/*` endpoints (but health and the console's page) need this token
    /// (`--admin-token`); see `server::admin_token`.
    pub admin_token: Option<String>,
    /// Finished Standard executions kept per account and region besides AWS's 90 days; the
    /// ones that stopped first are evicted first (`--max-finished-executions`).
    pub max_finished_executions: usize,
    /// Bytes of history (texts and their room) finished Standard executions may keep per
    /// account and region; past it the ones that stopped first are evicted first, but for the
    /// last (`--max-finished-execution-bytes`).
    pub max_finished_execution_bytes: u64,
    /// Events kept per EventBridge archive; past it the oldest are dropped
    /// (`--max-archive-events`).
    pub max_archive_events: usize,
    /// Bytes of events (JSON text) kept per EventBridge archive; past it the oldest are
    /// dropped (`--max-archive-bytes`).
    pub max_archive_bytes: u64,
    /// The most in-process calls one client request may cause in all (`--chain-budget`, 0 for
    /// no limit); see `crate::invoke::DEFAULT_CHAIN_BUDGET`.
    pub chain_budget: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            host: "127.0.0.1".into(),
            port: 4566,
            default_region: "us-east-1".into(),
            account_id: "000000000000".into(),
            max_body_bytes: 8 * 1024 * 1024,
            lambda_endpoint: None,
            mock_config: None,
            allowed_origins: Vec::new(),
            allowed_hosts: Vec::new(),
            idle_timeout: std::time::Duration::from_secs(60),
            max_connections: 1024,
            clock: crate::clock::ClockStart::default(),
            trace_buffer: 1000,
            trace_buffer_bytes: crate::trace::DEFAULT_BUFFER_BYTES,
            otlp_endpoint: None,
            data_dir: None,
            init_state: None,
            verify_signatures: false,
            credentials: Default::default(),
            admin_token: None,
            max_finished_executions: crate::services::sfn::retention::DEFAULT_MAX_FINISHED,
            max_finished_execution_bytes:
                crate::services::sfn::retention::DEFAULT_MAX_FINISHED_BYTES,
            max_archive_events: crate::services::events::DEFAULT_MAX_ARCHIVE_EVENTS,
            max_archive_bytes: crate::services::events::DEFAULT_MAX_ARCHIVE_BYTES,
            chain_budget: crate::invoke::DEFAULT_CHAIN_BUDGET,
        }
    }
}

impl Config {
    /// A config for tests: loopback, a free port, defaults otherwise.
    pub fn ephemeral() -> Self {
        Config {
            port: 0,
            ..Config::default()
        }
    }
}
