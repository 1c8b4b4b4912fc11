//! AWS STS, as much as tools need before they do anything else: GetCallerIdentity (the smoke
//! test, and the Terraform AWS provider's and the CDK's first call) and AssumeRole (temporary
//! credentials that stepyard then maps to the role's account). Query protocol only, as every
//! STS SDK speaks it. This file is the operation table; each concern has its file.

mod arn;
mod assume_role;
mod errors;
mod identity;
mod sessions;

pub use errors::StsError;
pub use sessions::{Session, TEMPORARY_KEY_PREFIX};

use crate::clock::Clock;
use crate::error::ApiError;
use crate::model::Violation;
use crate::request::{RequestContext, ServiceId};
use crate::services::handlers::InvalidInput;
use serde_json::Value;
use std::sync::Arc;

pub struct Sts {
    inner: Arc<Inner>,
}

struct Inner {
    clock: Clock,
    sessions: sessions::Sessions,
}

impl Sts {
    pub fn new(clock: Clock) -> Self {
        Sts {
            inner: Arc::new(Inner {
                clock,
                sessions: sessions::Sessions::default(),
            }),
        }
    }

    /// Calls `operation`'s handler with an input already checked against the model.
    pub async fn call(
        &self,
        ctx: &RequestContext,
        operation: &str,
        input: Value,
    ) -> Result<crate::protocol::Output, ApiError> {
        OPERATIONS.call(&self.inner, ctx, operation, input).await
    }

    /// The session a temporary access key id was issued for, if it was issued here.
    pub fn session(&self, access_key_id: &str) -> Option<Arc<Session>> {
        self.inner.sessions.get(access_key_id)
    }

    /// Forgets every issued credential (`POST /_stepyard/reset`).
    pub fn reset(&self) {
        self.inner.sessions.clear();
    }

    /// STS words a failed validation as the coral services do, under the code
    /// `ValidationError` ("1 validation error detected: Value '' at 'roleArn' failed to
    /// satisfy constraint: ...", as AWS answers).
    pub fn validation_error(violations: &[Violation]) -> ApiError {
        let coral = crate::services::validation::coral_validation_error(violations);
        StsError::Validation(coral.message).into()
    }
}

crate::services::handlers::operations! {
    /// The operation table: each file with the operations it answers.
    static OPERATIONS: Operations<Inner, StsError> = ServiceId::Sts;
    assume_role: AssumeRole = assume_role;
    identity: GetCallerIdentity = get_caller_identity;
}

/// An input the generic validator let through that does not deserialise into the handler's
/// input struct.
impl InvalidInput for StsError {
    fn invalid_input(error: serde_json::Error) -> Self {
        StsError::Validation(format!("Invalid request: {error}"))
    }
}
