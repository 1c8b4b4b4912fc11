//! The shared state of a running server: configuration, the clock and the services. Calls
//! reach the services through `crate::dispatch`.

use crate::clock::Clock;
use crate::config::Config;
use crate::invoke::Invoker;
use crate::request::ServiceId;
use crate::services::events::Events;
use crate::services::sfn::integrations::TaskServices;
use crate::services::sfn::Sfn;
use crate::services::sns::Sns;
use crate::services::sqs::Sqs;
use crate::services::sts::Sts;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::watch;

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
    pub sts: Sts,
    /// The in-process call path the services use to reach each other.
    pub invoker: Invoker,
    /// Where every call's spans go (`/_stepyard/traces`, OTLP).
    pub tracer: crate::trace::Tracer,
    /// Turns true when shutdown begins: long polls then answer at once (see the gateway).
    draining: watch::Receiver<bool>,
}

impl AppState {
    /// Builds the services around one clock and binds their invoker to the new state.
    /// `draining` turns true when shutdown begins.
    pub(crate) fn new(
        config: Config,
        clock: Clock,
        local_addr: SocketAddr,
        draining: watch::Receiver<bool>,
        durable: Option<Arc<crate::persist::Durable>>,
    ) -> Arc<AppState> {
        let tracer = crate::trace::Tracer::new(
            clock.clone(),
            config.trace_buffer,
            config.trace_buffer_bytes,
            config.otlp_endpoint.as_deref(),
        );
        let invoker = Invoker::new(tracer.clone()).with_chain_budget(config.chain_budget);
        let state = Arc::new(AppState {
            sqs: Sqs::new(clock.clone(), durable.clone()),
            sfn: Sfn::new(
                clock.clone(),
                TaskServices {
                    invoker: invoker.clone(),
                    lambda_endpoint: config.lambda_endpoint.clone(),
                    mocks: config.mock_config.clone(),
                },
                crate::services::sfn::retention::Retention {
                    max_finished: config.max_finished_executions,
                    max_finished_bytes: config.max_finished_execution_bytes,
                    ..Default::default()
                },
                durable.clone(),
            ),
            sns: Sns::new(clock.clone(), invoker.clone(), durable.clone()),
            events: Events::new(clock.clone(), invoker.clone(), durable.clone())
                .with_max_archive_events(config.max_archive_events)
                .with_max_archive_bytes(config.max_archive_bytes),
            sts: Sts::new(clock.clone()),
            invoker: invoker.clone(),
            tracer,
            config,
            clock,
            local_addr,
            started: crate::clock::real_instant(),
            draining,
        });
        invoker.bind(&state);
        state
    }

    /// Resolves once shutdown has begun (at once if it already has). A `watch` receiver
    /// checks the current value before waiting for a change, so a request arriving after the
    /// signal cannot miss it.
    pub async fn draining(&self) {
        let mut draining = self.draining.clone();
        let _ = draining.wait_for(|draining| *draining).await;
    }

    /// Resolves once every write so far is on disk (at once without a data directory).
    pub async fn wait_durable(&self) {
        // One database and one writer for every service: waiting on it covers them all.
        self.sqs.wait_durable().await;
    }

    /// Wipes one service's state, or all of them.
    pub fn reset(&self, service: Option<ServiceId>) {
        if service.is_none() {
            self.tracer.clear();
        }
        for id in ServiceId::ALL {
            if service.is_none() || service == Some(id) {
                match id {
                    ServiceId::Sqs => self.sqs.reset(),
                    ServiceId::StepFunctions => self.sfn.reset(),
                    ServiceId::Sns => self.sns.reset(),
                    ServiceId::Events => self.events.reset(),
                    ServiceId::Sts => self.sts.reset(),
                }
            }
        }
    }
}
