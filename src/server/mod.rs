//! The listener: accepts connections, serves HTTP/1.1 with keep-alive, and shuts down
//! gracefully (stop accepting, let in-flight requests finish, then close).

pub mod admin;
mod clock;

use crate::asl::interp::integrations::TaskServices;
use crate::clock::Clock;
use crate::config::Config;
use crate::error::ApiError;
use crate::invoke::Invoker;
use crate::services::events::Events;
use crate::services::sfn::Sfn;
use crate::services::sns::Sns;
use crate::services::sqs::Sqs;
use crate::services::{RequestContext, ServiceId};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::Value;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Everything a request handler can reach: configuration, the clock, and the services.
pub struct AppState {
    pub config: Config,
    pub clock: Clock,
    pub local_addr: SocketAddr,
    pub started: Instant,
    pub sqs: Sqs,
    pub sfn: Sfn,
    pub sns: Sns,
    pub events: Events,
    /// The in-process call path the services use to reach each other.
    pub invoker: Invoker,
}

impl AppState {
    /// The in-process call path into a service (the gateway's, and later the integrations').
    pub async fn call(
        &self,
        service: ServiceId,
        ctx: &RequestContext,
        operation: &str,
        input: Value,
    ) -> Result<Value, ApiError> {
        match service {
            ServiceId::Sqs => self.sqs.call(ctx, operation, input).await,
            ServiceId::StepFunctions => self.sfn.call(ctx, operation, input).await,
            ServiceId::Sns => self.sns.call(ctx, operation, input).await,
            ServiceId::Events => self.events.call(ctx, operation, input).await,
        }
    }

    /// Wipes one service's state, or all of them.
    pub fn reset(&self, service: Option<ServiceId>) {
        for id in ServiceId::ALL {
            if service.is_none() || service == Some(id) {
                match id {
                    ServiceId::Sqs => self.sqs.reset(),
                    ServiceId::StepFunctions => self.sfn.reset(),
                    ServiceId::Sns => self.sns.reset(),
                    ServiceId::Events => self.events.reset(),
                }
            }
        }
    }
}

pub struct Server;

/// A server accepting connections; dropping it does not stop it, `shutdown` does.
pub struct RunningServer {
    pub local_addr: SocketAddr,
    state: Arc<AppState>,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Server {
    /// Binds and starts serving in the background; returns once the socket accepts.
    pub async fn start(config: Config) -> std::io::Result<RunningServer> {
        let listener = TcpListener::bind((config.host.as_str(), config.port)).await?;
        let local_addr = listener.local_addr()?;
        let clock = Clock::starting(config.clock);
        let invoker = Invoker::new();
        let state = Arc::new(AppState {
            sqs: Sqs::new(clock.clone()),
            sfn: Sfn::new(
                clock.clone(),
                TaskServices {
                    invoker: invoker.clone(),
                    lambda_endpoint: config.lambda_endpoint.clone(),
                    mocks: config.mock_config.clone(),
                },
            ),
            sns: Sns::new(clock.clone(), invoker.clone()),
            events: Events::new(clock.clone(), invoker.clone()),
            invoker: invoker.clone(),
            config,
            clock,
            local_addr,
            started: Instant::now(),
        });
        invoker.bind(&state);
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(accept_loop(listener, state.clone(), stopped));
        Ok(RunningServer {
            local_addr,
            state,
            stop,
            task,
        })
    }
}

impl RunningServer {
    /// `http://127.0.0.1:PORT`, for pointing a client at the server.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.local_addr)
    }

    pub fn clock(&self) -> &Clock {
        &self.state.clock
    }

    pub fn state(&self) -> &Arc<AppState> {
        &self.state
    }

    /// Stops accepting, waits up to 10 s for open requests, then returns.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

async fn accept_loop(
    listener: TcpListener,
    state: Arc<AppState>,
    mut stopped: watch::Receiver<bool>,
) {
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    loop {
        let (stream, _) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(conn) => conn,
                Err(e) => {
                    // Out of file descriptors and similar: back off instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = stopped.changed() => break,
        };
        // Without TCP_NODELAY a response written as headers + body waits ~40 ms for the
        // client's delayed ACK.
        let _ = stream.set_nodelay(true);
        let state = state.clone();
        let service = service_fn(move |request| {
            let state = state.clone();
            async move {
                Ok::<_, std::convert::Infallible>(crate::gateway::handle(state, request).await)
            }
        });
        let connection = hyper::server::conn::http1::Builder::new()
            .keep_alive(true)
            .serve_connection(TokioIo::new(stream), service);
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            // Clients closing idle keep-alive connections mid-read is normal, not an error.
            let _ = connection.await;
        });
    }
    drop(listener);
    if tokio::time::timeout(Duration::from_secs(10), graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("connections still open after 10 s; closing them");
    }
}
