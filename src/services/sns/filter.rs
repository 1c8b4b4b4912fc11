//! Subscription filter policies, compiled once when FilterPolicy / FilterPolicyScope are set.
//! The matching is the shared pattern engine's (the `event_pattern` crate); this file only
//! maps SNS's two scopes and its message shape onto it.

use super::errors::SnsError;
use super::message::Notification;
use event_pattern::{AttributeRef, FilterPolicy, FilterScope};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    MessageAttributes,
    MessageBody,
}

impl Scope {
    pub fn parse(value: Option<&str>) -> Scope {
        match value {
            Some("MessageBody") => Scope::MessageBody,
            _ => Scope::MessageAttributes,
        }
    }
}

#[derive(Debug)]
pub struct CompiledFilter {
    policy: FilterPolicy,
}

impl CompiledFilter {
    /// Subscribe and SetSubscriptionAttributes word a refused policy differently.
    pub fn compile(policy: &str, scope: Scope, from_subscribe: bool) -> Result<Self, SnsError> {
        let scope = match scope {
            Scope::MessageAttributes => FilterScope::MessageAttributes,
            Scope::MessageBody => FilterScope::MessageBody,
        };
        FilterPolicy::compile(policy, scope)
            .map(|policy| CompiledFilter { policy })
            .map_err(|e| SnsError::InvalidParameterRaw(e.sns_message(from_subscribe)))
    }

    /// Whether `n` passes; `message` is the text the subscription would get (body scope
    /// filters on it parsed as JSON; a body that is not JSON matches nothing).
    pub fn matches(&self, n: &Notification, message: &str) -> bool {
        match self.policy.scope() {
            FilterScope::MessageAttributes => self.policy.matches_attributes(&attributes_of(n)),
            FilterScope::MessageBody => serde_json::from_str(message)
                .map(|body| self.policy.matches_body(&body))
                .unwrap_or(false),
        }
    }

    /// Why `n` does not pass: the policy key that fails and why (for a trace's FilterPolicy
    /// span, worked out when the trace is read); `None` when it passes.
    pub fn explain(&self, n: &Notification, message: &str) -> Option<(String, String)> {
        let mismatch = match self.policy.scope() {
            FilterScope::MessageAttributes => self.policy.explain_attributes(&attributes_of(n)),
            FilterScope::MessageBody => match serde_json::from_str(message) {
                Ok(body) => self.policy.explain_body(&body),
                Err(_) => {
                    return Some((
                        String::new(),
                        "the message body is not JSON, and the policy's scope is MessageBody"
                            .into(),
                    ))
                }
            },
        };
        mismatch.map(|m| (m.field, m.reason))
    }
}

fn attributes_of(n: &Notification) -> Vec<AttributeRef<'_>> {
    n.attributes
        .iter()
        .map(|(name, a)| AttributeRef {
            name,
            data_type: &a.data_type,
            value: if a.is_binary() {
                a.binary_value.as_deref().unwrap_or("")
            } else {
                a.string_value.as_deref().unwrap_or("")
            },
        })
        .collect()
}
