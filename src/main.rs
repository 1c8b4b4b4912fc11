//! The `stepyard` binary: flags and environment, logging, bind, and graceful shutdown.

use clap::{Parser, Subcommand};
use stepyard::{Config, Server};

// jemalloc, with its background threads on (see `main`): they hand freed pages back to the OS
// on their own, so RSS returns to baseline after a queue drains even when the server then sits
// idle. (mimalloc only purged on later allocator activity, leaving a drained server at its peak.)
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[derive(Parser)]
#[command(
    name = "stepyard",
    version,
    about = "Step Functions, EventBridge, SQS and SNS on one port, in memory"
)]
struct Cli {
    /// Address to listen on.
    #[arg(long, env = "STEPYARD_HOST", default_value = "127.0.0.1")]
    host: String,
    /// Port to listen on (0 picks a free one).
    #[arg(long, env = "STEPYARD_PORT", default_value_t = 4566)]
    port: u16,
    /// Region used when a request carries no SigV4 credential scope.
    #[arg(long, env = "STEPYARD_REGION", default_value = "us-east-1")]
    region: String,
    /// Account id that owns every resource.
    #[arg(
        long = "account-id",
        env = "STEPYARD_ACCOUNT_ID",
        default_value = "000000000000"
    )]
    account_id: String,
    /// Endpoint speaking the Lambda Invoke API that Lambda tasks call (e.g. the one
    /// `sam local start-lambda` prints); without it, Lambda tasks fail with a clear error.
    #[arg(long = "lambda-endpoint", env = "STEPYARD_LAMBDA_ENDPOINT")]
    lambda_endpoint: Option<String>,
    /// A Step Functions Local mock configuration file; start an execution on
    /// `<state machine ARN>#<TestCase>` to use one of its test cases.
    #[arg(long = "mock-config", env = "SFN_MOCK_CONFIG")]
    mock_config: Option<std::path::PathBuf>,
    /// An origin (`http://localhost:3000`) whose web pages may use stepyard from a browser,
    /// with CORS; repeat or separate with commas. Other pages may only read.
    #[arg(
        long = "allow-origin",
        env = "STEPYARD_ALLOW_ORIGIN",
        value_delimiter = ','
    )]
    allow_origin: Vec<String>,
    /// A host name browsers may address stepyard by, besides localhost and loopback addresses
    /// (a guard against DNS rebinding; SDK clients may use any name); repeatable.
    #[arg(
        long = "allowed-host",
        env = "STEPYARD_ALLOWED_HOST",
        value_delimiter = ','
    )]
    allowed_host: Vec<String>,
    /// Close a connection that answers nothing and reads or writes nothing for this many
    /// seconds (idle keep-alive, or stuck half-way through a request).
    #[arg(
        long = "idle-timeout",
        env = "STEPYARD_IDLE_TIMEOUT",
        default_value_t = 60
    )]
    idle_timeout: u64,
    /// Connections served at once; more wait until one closes.
    #[arg(
        long = "max-connections",
        env = "STEPYARD_MAX_CONNECTIONS",
        default_value_t = 1024
    )]
    max_connections: usize,
    /// `real` follows the system time; `frozen` moves only when advanced
    /// (`POST /_stepyard/clock/advance`).
    #[arg(long, env = "STEPYARD_CLOCK", default_value = "real", value_parser = ["real", "frozen"])]
    clock: String,
    /// The time the clock starts at (ISO-8601, e.g. 2030-01-01T00:00:00Z); default: now.
    #[arg(long = "clock-start", env = "STEPYARD_CLOCK_START")]
    clock_start: Option<String>,
    /// How many traces /_stepyard/traces keeps, newest first; 0 (or `off`) turns tracing off.
    #[arg(long = "trace-buffer", env = "STEPYARD_TRACE_BUFFER", default_value = "1000", value_parser = parse_trace_buffer)]
    trace_buffer: usize,
    /// Bytes the trace buffer may hold (spans, their inputs, outputs and events); past it the
    /// oldest traces are let go, and a trace heavier than an eighth of it keeps its further
    /// spans' texts cut to 1 KiB. Bounds the OTLP export queue too (never below the default).
    #[arg(
        long = "trace-buffer-bytes",
        env = "STEPYARD_TRACE_BUFFER_BYTES",
        default_value_t = stepyard::trace::DEFAULT_BUFFER_BYTES
    )]
    trace_buffer_bytes: usize,
    /// Send every span over OTLP/HTTP (protobuf) to this collector, e.g.
    /// http://localhost:4318 (the path /v1/traces is added when missing).
    #[arg(long = "otlp-endpoint", env = "STEPYARD_OTLP_ENDPOINT")]
    otlp_endpoint: Option<String>,
    /// Keep all state in a database in this directory, so it survives restarts and crashes:
    /// every write is on disk before it is acknowledged. Without it, state is in memory only.
    #[arg(long = "data-dir", env = "STEPYARD_DATA_DIR")]
    data_dir: Option<std::path::PathBuf>,
    /// A state document (from `GET /_stepyard/state`) to load at start; with --data-dir, only
    /// when the directory holds no state yet.
    #[arg(long = "init-state", env = "STEPYARD_INIT_STATE")]
    init_state: Option<std::path::PathBuf>,
    /// Check every request's SigV4 signature against --credentials (and the temporary
    /// credentials stepyard's STS AssumeRole hands out), answering as AWS does when it fails.
    #[arg(long = "verify-signatures", env = "STEPYARD_VERIFY_SIGNATURES")]
    verify_signatures: bool,
    /// An access key and its secret (`AKIAEXAMPLE:secret`) that --verify-signatures accepts;
    /// repeat, or separate with commas.
    #[arg(long, env = "STEPYARD_CREDENTIALS", value_delimiter = ',')]
    credentials: Vec<String>,
    /// A token the /_stepyard/* endpoints require (header X-Stepyard-Token, or open the
    /// console as /_stepyard/ui?token=<token>); health stays open.
    #[arg(long = "admin-token", env = "STEPYARD_ADMIN_TOKEN")]
    admin_token: Option<String>,
    /// Finished Step Functions executions kept per account and region (besides AWS's 90 days
    /// of retention); past it, the ones that stopped first are forgotten.
    #[arg(
        long = "max-finished-executions",
        env = "STEPYARD_MAX_FINISHED_EXECUTIONS",
        default_value_t = 10_000
    )]
    max_finished_executions: usize,
    /// Bytes of history finished Step Functions executions may keep per account and region
    /// (event texts and their room); past it, the ones that stopped first are forgotten, but
    /// never the last to stop. A log line when first reached.
    #[arg(
        long = "max-finished-execution-bytes",
        env = "STEPYARD_MAX_FINISHED_EXECUTION_BYTES",
        default_value_t = stepyard::services::sfn::retention::DEFAULT_MAX_FINISHED_BYTES
    )]
    max_finished_execution_bytes: u64,
    /// Events kept per EventBridge archive (AWS bounds an archive only by its retention);
    /// past it, the oldest are dropped, with a log line when an archive first fills.
    #[arg(
        long = "max-archive-events",
        env = "STEPYARD_MAX_ARCHIVE_EVENTS",
        default_value_t = 100_000
    )]
    max_archive_events: usize,
    /// Bytes of events (their JSON text, as DescribeArchive's SizeBytes counts them) kept per
    /// EventBridge archive; past it, the oldest are dropped, as past --max-archive-events.
    #[arg(
        long = "max-archive-bytes",
        env = "STEPYARD_MAX_ARCHIVE_BYTES",
        default_value_t = stepyard::services::events::DEFAULT_MAX_ARCHIVE_BYTES
    )]
    max_archive_bytes: u64,
    /// The most in-process calls (deliveries, executions, tasks' calls, status-change events)
    /// one client request may cause in all; past it the chain is stopped with a log line and
    /// a trace span (a loop that fans out). 0 for no limit.
    #[arg(
        long = "chain-budget",
        env = "STEPYARD_CHAIN_BUDGET",
        default_value_t = stepyard::invoke::DEFAULT_CHAIN_BUDGET
    )]
    chain_budget: u64,
    /// Log filter: error, warn, info, debug, trace, or a tracing directive.
    #[arg(long = "log-level", env = "STEPYARD_LOG_LEVEL", default_value = "info")]
    log_level: String,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Print the operation coverage table (Markdown) that the README carries.
    Coverage,
    /// Exit 0 if the server at --host/--port answers its health endpoint, 1 if not: the
    /// container image's HEALTHCHECK (it has no shell or curl).
    Health,
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Coverage) => {
            print!("{}", stepyard::coverage::markdown_table());
            return std::process::ExitCode::SUCCESS;
        }
        Some(Command::Health) => return health_check(&cli.host, cli.port),
        None => {}
    }
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_new(&cli.log_level)
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_target(false)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
        .init();
    if let Err(e) = tikv_jemalloc_ctl::background_thread::write(true) {
        tracing::warn!(
            "jemalloc background threads unavailable ({e}); freed memory returns to the OS later"
        );
    }
    let mock_config = match &cli.mock_config {
        None => None,
        Some(path) => {
            let parsed = std::fs::read_to_string(path)
                .map_err(|e| e.to_string())
                .and_then(|text| {
                    stepyard::services::sfn::integrations::mock::MockConfig::parse(&text)
                });
            match parsed {
                Ok(config) => Some(std::sync::Arc::new(config)),
                Err(e) => {
                    eprintln!(
                        "stepyard: cannot use the mock configuration {}: {e}",
                        path.display()
                    );
                    return std::process::ExitCode::FAILURE;
                }
            }
        }
    };
    let start_ms = match cli.clock_start.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(text) => match stepyard::time::parse_rfc3339_nanos(text) {
            Some(nanos) if nanos >= 0 => Some((nanos / 1_000_000) as u64),
            _ => {
                eprintln!(
                    "stepyard: --clock-start {text:?} is not an ISO-8601 timestamp after 1970 such as 2030-01-01T00:00:00Z"
                );
                return std::process::ExitCode::FAILURE;
            }
        },
    };
    let credentials = match stepyard::server::signature::Credentials::parse(
        cli.credentials.iter().map(String::as_str),
    ) {
        Ok(credentials) => credentials,
        Err(e) => {
            eprintln!("stepyard: --credentials {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    if cli.verify_signatures && credentials.is_empty() {
        eprintln!(
            "stepyard: --verify-signatures needs the keys it accepts: --credentials ACCESS_KEY_ID:SECRET_ACCESS_KEY (or STEPYARD_CREDENTIALS)"
        );
        return std::process::ExitCode::FAILURE;
    }
    let config = Config {
        verify_signatures: cli.verify_signatures,
        credentials,
        admin_token: cli.admin_token.filter(|t| !t.is_empty()),
        max_finished_executions: cli.max_finished_executions,
        max_finished_execution_bytes: cli.max_finished_execution_bytes,
        max_archive_events: cli.max_archive_events,
        max_archive_bytes: cli.max_archive_bytes,
        chain_budget: cli.chain_budget,
        clock: stepyard::clock::ClockStart {
            frozen: cli.clock == "frozen",
            start_ms,
        },
        lambda_endpoint: cli.lambda_endpoint,
        mock_config,
        host: cli.host,
        port: cli.port,
        default_region: cli.region,
        account_id: cli.account_id,
        allowed_origins: cli.allow_origin,
        allowed_hosts: cli.allowed_host,
        idle_timeout: std::time::Duration::from_secs(cli.idle_timeout.max(1)),
        max_connections: cli.max_connections.max(1),
        trace_buffer: cli.trace_buffer,
        trace_buffer_bytes: cli.trace_buffer_bytes,
        otlp_endpoint: cli.otlp_endpoint.filter(|e| !e.is_empty()),
        data_dir: cli.data_dir,
        init_state: cli.init_state,
        ..Config::default()
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("stepyard: cannot start the runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let code = runtime.block_on(async move {
        let server = match Server::start(config.clone()).await {
            Ok(server) => server,
            Err(e) => {
                if e.kind() == std::io::ErrorKind::InvalidData {
                    tracing::error!("cannot start: {e}");
                    eprintln!("stepyard: cannot start: {e}");
                } else {
                    tracing::error!("cannot listen on {}:{}: {e}", config.host, config.port);
                }
                return std::process::ExitCode::FAILURE;
            }
        };
        tracing::info!("stepyard ready on {}", server.endpoint());
        shutdown_signal().await;
        tracing::info!("shutting down");
        server.shutdown().await;
        std::process::ExitCode::SUCCESS
    });
    // Background work (timers, executions, deliveries) is abandoned with the in-memory state;
    // the bound keeps a stuck blocking task from holding the exit.
    runtime.shutdown_timeout(std::time::Duration::from_millis(100));
    code
}

/// `GET /_stepyard/health` with a plain blocking socket (no runtime, no HTTP client: this runs
/// every few seconds in a container). An unspecified listen address (`0.0.0.0`, `::`) is
/// reached on loopback.
fn health_check(host: &str, port: u16) -> std::process::ExitCode {
    use std::io::{Read, Write};
    use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpStream, ToSocketAddrs};
    let timeout = std::time::Duration::from_secs(2);
    let addr = match host.parse::<IpAddr>() {
        Ok(ip) if ip.is_unspecified() => Some(SocketAddr::new(Ipv4Addr::LOCALHOST.into(), port)),
        _ => (host, port)
            .to_socket_addrs()
            .ok()
            .and_then(|mut a| a.next()),
    };
    let answer = addr
        .ok_or_else(|| std::io::Error::other(format!("cannot resolve {host}")))
        .and_then(|addr| TcpStream::connect_timeout(&addr, timeout))
        .and_then(|mut stream| {
            stream.set_read_timeout(Some(timeout))?;
            stream.set_write_timeout(Some(timeout))?;
            stream.write_all(
                b"GET /_stepyard/health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
            )?;
            let mut response = String::new();
            stream.read_to_string(&mut response)?;
            Ok(response)
        });
    match answer {
        Ok(response) if response.starts_with("HTTP/1.1 200") => {
            println!("healthy: stepyard answers on {host}:{port}");
            std::process::ExitCode::SUCCESS
        }
        Ok(response) => {
            let status = response.lines().next().unwrap_or("no status line");
            eprintln!("unhealthy: {host}:{port} answered {status}");
            std::process::ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("unhealthy: {host}:{port}: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Resolves on SIGINT or SIGTERM.
async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = interrupt.await;
                    return;
                }
            };
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
}

/// `--trace-buffer`: a count of traces, or `off` for none.
fn parse_trace_buffer(text: &str) -> Result<usize, String> {
    match text {
        "off" | "false" => Ok(0),
        n => n
            .parse()
            .map_err(|_| format!("{n} is not a number of traces (or `off`)")),
    }
}
