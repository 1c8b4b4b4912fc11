//! The listener: accepts connections, serves HTTP/1.1 with keep-alive, and shuts down
//! gracefully (stop accepting, let in-flight requests finish, then close).

pub mod admin;
pub mod admin_token;
pub mod browser;
mod clock;
mod console;
mod idle;
pub(crate) mod response;
pub mod signature;

pub use crate::app::AppState;
pub use response::{json_response, HttpResponse};

use crate::clock::Clock;
use crate::config::Config;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

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
        let invalid = |e: String| std::io::Error::new(std::io::ErrorKind::InvalidData, e);
        let opened = match &config.data_dir {
            Some(dir) => {
                Some(crate::persist::Durable::open(dir).map_err(|e| invalid(e.to_string()))?)
            }
            None => None,
        };
        let init_state = match &config.init_state {
            Some(path) => Some(crate::persist::snapshot::read_file(path).map_err(invalid)?),
            None => None,
        };
        let listener = TcpListener::bind((config.host.as_str(), config.port)).await?;
        let local_addr = listener.local_addr()?;
        let clock = Clock::starting(config.clock);
        // One signal for the accept loop (stop accepting) and for waiting requests (answer).
        let (stop, stopped) = watch::channel(false);
        let durable = opened.as_ref().map(|(d, _)| d.clone());
        let state = AppState::new(config, clock, local_addr, stopped.clone(), durable);
        let mut restored = false;
        if let Some((durable, loaded)) = &opened {
            restored = !loaded.resources.is_empty() || !loaded.items.is_empty();
            let cannot_restore = |e: String| {
                invalid(format!(
                    "the data directory {} cannot be restored: {e}. It was not changed; move \
                     it aside to start empty",
                    durable.path().display()
                ))
            };
            let queues = state.sqs.restore(loaded).map_err(cannot_restore)?;
            let topics = state.sns.restore(loaded).map_err(cannot_restore)?;
            let regions = state.events.restore(loaded).map_err(cannot_restore)?;
            let machines = state.sfn.restore(loaded).map_err(cannot_restore)?;
            tracing::info!(
                queues,
                topics,
                event_regions = regions,
                machines,
                "restored state from {}",
                durable.path().display()
            );
        }
        // A data directory that already holds state wins: the file seeds a first start only.
        if let (Some(document), false) = (init_state, restored) {
            crate::persist::snapshot::import(&state, &document).map_err(invalid)?;
        }
        if let Some((durable, _)) = &opened {
            durable.wait_committed().await;
        }
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

    /// Stops accepting, answers long polls at once (as if their wait had ended), waits up to
    /// 10 s for the other open requests, then returns.
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
    // One permit per open connection. At the cap the loop stops accepting until a
    // connection ends (its task drops the permit), so new clients wait in the kernel's
    // backlog instead of each taking a file descriptor; the idle timeout below makes sure
    // idle connections give theirs back.
    let slots = Arc::new(tokio::sync::Semaphore::new(state.config.max_connections));
    let mut at_cap_logged = false;
    let mut accept_failures = 0u32;
    loop {
        let permit = match slots.clone().try_acquire_owned() {
            Ok(permit) => permit,
            Err(_) => {
                if !at_cap_logged {
                    tracing::warn!(
                        max = state.config.max_connections,
                        "connection limit reached; new connections wait until one closes (--max-connections)"
                    );
                    at_cap_logged = true;
                }
                tokio::select! {
                    permit = slots.clone().acquire_owned() => match permit {
                        Ok(permit) => permit,
                        Err(_) => break,
                    },
                    _ = stopped.changed() => break,
                }
            }
        };
        let (stream, _) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(conn) => {
                    accept_failures = 0;
                    conn
                }
                Err(e) => {
                    // Out of file descriptors and similar: back off instead of spinning, and
                    // say so once per run of failures rather than fifty times a second.
                    if accept_failures == 0 {
                        tracing::warn!(error = %e, "accept failed (out of file descriptors? see --max-connections and --idle-timeout); retrying");
                    }
                    accept_failures = accept_failures.saturating_add(1);
                    crate::clock::real_sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = stopped.changed() => break,
        };
        at_cap_logged = false;
        let idle_timeout = state.config.idle_timeout;
        // Without TCP_NODELAY a response written as headers + body waits ~40 ms for the
        // client's delayed ACK.
        let _ = stream.set_nodelay(true);
        let state = state.clone();
        let activity = Arc::new(idle::Activity::default());
        let answering = activity.clone();
        let service = service_fn(move |request| {
            let state = state.clone();
            let busy = idle::Answering::new(&answering);
            async move {
                let response = crate::gateway::handle(state, request).await;
                drop(busy);
                Ok::<_, std::convert::Infallible>(response)
            }
        });
        let connection = hyper::server::conn::http1::Builder::new()
            .keep_alive(true)
            .serve_connection(
                idle::Watched::new(TokioIo::new(stream), activity.clone()),
                service,
            );
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            // Clients closing idle keep-alive connections mid-read is normal, not an error.
            // A connection silent for the idle timeout is dropped, which closes its socket
            // (see idle.rs: it is answering nothing then).
            tokio::select! {
                _ = connection => {}
                _ = idle::silent_for(&activity, idle_timeout) => {}
            }
            drop(permit);
        });
    }
    drop(listener);
    if crate::clock::real_timeout(Duration::from_secs(10), graceful.shutdown())
        .await
        .is_none()
    {
        tracing::warn!("connections still open after 10 s; closing them");
    }
}
