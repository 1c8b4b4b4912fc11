//! The HTTP/S retry policy of a delivery policy (`healthyRetryPolicy` on a subscription,
//! `http.defaultHealthyRetryPolicy` on a topic): how long to wait before each retry. AWS's
//! phases, in order: retries with no delay, retries at minDelayTarget, a backoff phase from
//! min to max, then retries at maxDelayTarget; numRetries counts them all.

use serde_json::Value;

#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    pub min_delay: u64,
    pub max_delay: u64,
    pub num_retries: u64,
    pub num_no_delay: u64,
    pub num_min_delay: u64,
    pub num_max_delay: u64,
    pub backoff: String,
}

impl Default for RetryPolicy {
    /// AWS's default for HTTP/S: 3 retries 20 s apart.
    fn default() -> Self {
        RetryPolicy {
            min_delay: 20,
            max_delay: 20,
            num_retries: 3,
            num_no_delay: 0,
            num_min_delay: 0,
            num_max_delay: 0,
            backoff: "linear".into(),
        }
    }
}

impl RetryPolicy {
    /// The subscription's policy wins over the topic's (unless the topic disables overrides).
    pub fn resolve(subscription_policy: Option<&str>, topic_policy: Option<&str>) -> Self {
        let parse = |text: Option<&str>| text.and_then(|t| serde_json::from_str::<Value>(t).ok());
        let topic = parse(topic_policy);
        let topic_retry = topic
            .as_ref()
            .and_then(|t| t.pointer("/http/defaultHealthyRetryPolicy"))
            .cloned();
        let overrides_disabled = topic
            .as_ref()
            .and_then(|t| t.pointer("/http/disableSubscriptionOverrides"))
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let subscription_retry = parse(subscription_policy)
            .and_then(|s| s.get("healthyRetryPolicy").cloned())
            .filter(|_| !overrides_disabled);
        subscription_retry
            .or(topic_retry)
            .map(|v| Self::from_json(&v))
            .unwrap_or_default()
    }

    fn from_json(v: &Value) -> Self {
        let d = RetryPolicy::default();
        let n = |key: &str, default: u64| v.get(key).and_then(Value::as_u64).unwrap_or(default);
        RetryPolicy {
            min_delay: n("minDelayTarget", d.min_delay),
            max_delay: n("maxDelayTarget", d.max_delay),
            num_retries: n("numRetries", d.num_retries),
            num_no_delay: n("numNoDelayRetries", 0),
            num_min_delay: n("numMinDelayRetries", 0),
            num_max_delay: n("numMaxDelayRetries", 0),
            backoff: v
                .get("backoffFunction")
                .and_then(Value::as_str)
                .unwrap_or("linear")
                .to_string(),
        }
    }

    /// Seconds to wait before retry 1, 2, ... (one entry per retry).
    pub fn delays(&self) -> Vec<u64> {
        let total = self.num_retries.min(100);
        let no_delay = self.num_no_delay.min(total);
        let min_phase = self.num_min_delay.min(total - no_delay);
        let max_phase = self.num_max_delay.min(total - no_delay - min_phase);
        let backoff = total - no_delay - min_phase - max_phase;
        let (min, max) = (self.min_delay, self.max_delay.max(self.min_delay));
        let mut out = Vec::with_capacity(total as usize);
        out.extend(std::iter::repeat_n(0, no_delay as usize));
        out.extend(std::iter::repeat_n(min, min_phase as usize));
        for i in 1..=backoff {
            let fraction = i as f64 / backoff as f64;
            let shaped = match self.backoff.as_str() {
                "exponential" | "geometric" => fraction * fraction,
                "arithmetic" => fraction * (fraction + 1.0) / 2.0,
                _ => fraction,
            };
            out.push(min + ((max - min) as f64 * shaped).round() as u64);
        }
        out.extend(std::iter::repeat_n(max, max_phase as usize));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_is_three_retries_twenty_seconds_apart() {
        assert_eq!(RetryPolicy::default().delays(), vec![20, 20, 20]);
    }

    #[test]
    fn phases_in_order() {
        let p = RetryPolicy::resolve(
            Some(
                r#"{"healthyRetryPolicy":{"minDelayTarget":1,"maxDelayTarget":5,"numRetries":6,
                "numNoDelayRetries":1,"numMinDelayRetries":1,"numMaxDelayRetries":1,"backoffFunction":"linear"}}"#,
            ),
            None,
        );
        assert_eq!(p.delays(), vec![0, 1, 2, 4, 5, 5]);
    }

    #[test]
    fn topic_policy_applies_without_a_subscription_policy() {
        let p = RetryPolicy::resolve(
            None,
            Some(
                r#"{"http":{"defaultHealthyRetryPolicy":{"numRetries":1,"minDelayTarget":2,"maxDelayTarget":2}}}"#,
            ),
        );
        assert_eq!(p.delays(), vec![2]);
    }
}
