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
    /// `real` follows the system time; `frozen` moves only when advanced
    /// (`POST /_stepyard/clock/advance`).
    #[arg(long, env = "STEPYARD_CLOCK", default_value = "real", value_parser = ["real", "frozen"])]
    clock: String,
    /// The time the clock starts at (ISO-8601, e.g. 2030-01-01T00:00:00Z); default: now.
    #[arg(long = "clock-start", env = "STEPYARD_CLOCK_START")]
    clock_start: Option<String>,
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
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    if let Some(Command::Coverage) = cli.command {
        print!("{}", stepyard::coverage::markdown_table());
        return std::process::ExitCode::SUCCESS;
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
                    stepyard::asl::interp::integrations::mock::MockConfig::parse(&text)
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
        Some(text) => match stepyard::asl::timestamp::parse_rfc3339_nanos(text) {
            Some(nanos) if nanos >= 0 => Some((nanos / 1_000_000) as u64),
            _ => {
                eprintln!(
                    "stepyard: --clock-start {text:?} is not an ISO-8601 timestamp after 1970 such as 2030-01-01T00:00:00Z"
                );
                return std::process::ExitCode::FAILURE;
            }
        },
    };
    let config = Config {
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
    runtime.block_on(async move {
        let server = match Server::start(config.clone()).await {
            Ok(server) => server,
            Err(e) => {
                tracing::error!("cannot listen on {}:{}: {e}", config.host, config.port);
                return std::process::ExitCode::FAILURE;
            }
        };
        tracing::info!("stepyard ready on {}", server.endpoint());
        shutdown_signal().await;
        tracing::info!("shutting down");
        server.shutdown().await;
        std::process::ExitCode::SUCCESS
    })
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
