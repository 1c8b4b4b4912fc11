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
    pub mock_config: Option<std::sync::Arc<crate::asl::interp::integrations::mock::MockConfig>>,
    /// Whether the clock starts frozen, and at what time (`--clock`, `--clock-start`).
    pub clock: crate::clock::ClockStart,
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
            clock: crate::clock::ClockStart::default(),
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
