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
use crate::request::ServiceId;
use crate::services::handlers::{op, Operations};
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

    crate::services::handlers::table_entry_points!(OPERATIONS);

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
    pub fn validation_error(v: &Violation) -> ApiError {
        let coral = crate::services::validation::coral_validation_error(v);
        StsError::Validation(coral.message).into()
    }
}

/// The operation table, sorted by name.
static OPERATIONS: Operations<Inner, StsError> = Operations {
    service: ServiceId::Sts,
    operations: &[
        op("AssumeRole", assume_role::assume_role),
        op("GetCallerIdentity", |_, ctx, _| {
            Ok(identity::get_caller_identity(ctx))
        }),
    ],
};
