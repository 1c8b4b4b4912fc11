//! The temporary credentials AssumeRole hands out, so that requests signed with them act in
//! the role's account and GetCallerIdentity names the assumed role.
//!
//! Lock discipline: one `RwLock` around a map, taken only for a lookup or an insert and never
//! held across an `.await` or while another lock is taken, so it cannot deadlock. The gateway
//! looks keys up only for access key ids starting `ASIA` (the prefix STS gives temporary keys),
//! so requests signed with ordinary keys never touch it.

pub use crate::request::Session;
use parking_lot::RwLock;
use std::collections::HashMap;
use std::sync::Arc;

#[derive(Default)]
pub struct Sessions {
    by_access_key: RwLock<HashMap<String, Arc<Session>>>,
}

/// The prefix STS gives temporary access key ids (long-term IAM user keys start `AKIA`).
pub const TEMPORARY_KEY_PREFIX: &str = "ASIA";

impl Sessions {
    /// Records `session` under `access_key_id`, dropping sessions that expired before `now`
    /// so the map stays as large as the credentials still in use.
    pub fn insert(&self, access_key_id: String, session: Session, now: u64) {
        let mut map = self.by_access_key.write();
        map.retain(|_, s| s.expires_at > now);
        map.insert(access_key_id, Arc::new(session));
    }

    pub fn get(&self, access_key_id: &str) -> Option<Arc<Session>> {
        if !access_key_id.starts_with(TEMPORARY_KEY_PREFIX) {
            return None;
        }
        self.by_access_key.read().get(access_key_id).cloned()
    }

    pub fn clear(&self) {
        self.by_access_key.write().clear();
    }
}
