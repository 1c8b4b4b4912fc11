//! Where a queue lives, from the forms clients use to name it: queue URLs (AWS's, LocalStack's
//! host and path styles, ours) and ARNs. Queues are isolated per (account, region).

use crate::request::RequestContext;

/// The address of one queue.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct QueueLocation {
    pub account: String,
    pub region: String,
    pub name: String,
}

impl QueueLocation {
    /// The queue a parsed ARN names, unchecked: senders pass on what they were given and let
    /// SendMessage answer for a queue that is not there.
    pub fn of(arn: &crate::arn::Arn) -> QueueLocation {
        QueueLocation {
            account: arn.account.into(),
            region: arn.region.into(),
            name: arn.resource.into(),
        }
    }

    pub fn arn(&self) -> String {
        queue_arn(&self.account, &self.region, &self.name)
    }

    /// The queue's URL as AWS writes it, for in-process senders (SNS subscriptions, EventBridge
    /// targets and DLQs) that have no client host of their own: the host names the region, so
    /// the queue is found whatever region the sender's context carries.
    pub fn aws_url(&self) -> String {
        url(
            &format!("sqs.{}.amazonaws.com", self.region),
            &self.account,
            &self.name,
        )
    }
}

pub fn queue_arn(account: &str, region: &str, name: &str) -> String {
    crate::arn::build("sqs", region, account, name)
}

/// The URL handed to clients: the host they used, so the URL works against this server.
pub fn queue_url(ctx: &RequestContext, account: &str, name: &str) -> String {
    url(&ctx.host, account, name)
}

/// The one place a queue URL is written: `http://<host>/<account>/<name>`, which
/// `parse_queue_url` reads back.
fn url(host: &str, account: &str, name: &str) -> String {
    format!("http://{host}/{account}/{name}")
}

/// Reads a `QueueUrl`. The last two path segments are account and queue name; the region comes
/// from a `sqs.<region>.` / `<region>.queue.` host or a `/queue/<region>/` path, else from the
/// request. A bare queue name (no slash) is accepted too, as LocalStack does.
pub fn parse_queue_url(ctx: &RequestContext, url: &str) -> Option<QueueLocation> {
    let trimmed = url.trim_end_matches('/');
    let without_scheme = trimmed.split_once("://").map_or(trimmed, |(_, rest)| rest);
    if !trimmed.contains('/') {
        return (!trimmed.is_empty()).then(|| QueueLocation {
            account: ctx.account_id.clone(),
            region: ctx.region.clone(),
            name: trimmed.to_string(),
        });
    }
    let (host, path) = without_scheme
        .split_once('/')
        .unwrap_or((without_scheme, ""));
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let [.., account, name] = segments.as_slice() else {
        return None;
    };
    let region = region_from_path(&segments)
        .or_else(|| region_from_host(host))
        .unwrap_or(&ctx.region);
    Some(QueueLocation {
        account: account.to_string(),
        region: region.to_string(),
        name: name.to_string(),
    })
}

fn region_from_path<'a>(segments: &[&'a str]) -> Option<&'a str> {
    match segments {
        ["queue", region, _, _] if looks_like_region(region) => Some(region),
        _ => None,
    }
}

fn region_from_host(host: &str) -> Option<&str> {
    let host = host.split(':').next().unwrap_or(host);
    let labels: Vec<&str> = host.split('.').collect();
    match labels.as_slice() {
        ["sqs", region, ..] if looks_like_region(region) => Some(region),
        [region, "queue", ..] if looks_like_region(region) => Some(region),
        ["queue", ..] | ["sqs", "amazonaws", "com"] => Some("us-east-1"),
        _ => None,
    }
}

fn looks_like_region(s: &str) -> bool {
    s.contains('-')
        && s.bytes().any(|b| b.is_ascii_digit())
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// Reads `arn:<partition>:sqs:<region>:<account>:<name>`.
pub fn parse_queue_arn(arn: &str) -> Option<QueueLocation> {
    let arn = crate::arn::Arn::parse(arn).filter(|a| a.is("sqs"))?;
    if arn.region.is_empty() || arn.account.is_empty() || arn.resource.is_empty() {
        return None;
    }
    Some(QueueLocation {
        account: arn.account.into(),
        region: arn.region.into(),
        name: arn.resource.into(),
    })
}

/// Checks the parts of a queue's address read from a state document (they become keys and
/// URLs, so they must be what CreateQueue would have accepted).
pub fn check_location_parts(account: &str, region: &str, name: &str) -> Result<(), String> {
    if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("account {account:?} is not 12 digits"));
    }
    if region.is_empty()
        || !region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Err(format!("region {region:?} is not a region name"));
    }
    let stem = name.strip_suffix(".fifo").unwrap_or(name);
    if name.is_empty()
        || name.len() > 80
        || !stem
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(format!("queue name {name:?} is not a valid queue name"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::Clock;
    use crate::request::Protocol;

    fn ctx() -> RequestContext {
        RequestContext {
            trace: crate::request::TraceContext::NONE,
            tracer: crate::trace::Tracer::off(),
            aws_service: false,
            account_id: "000000000000".into(),
            region: "us-east-1".into(),
            request_id: "r".into(),
            host: "localhost:4566".into(),
            protocol: Protocol::AwsJson10,
            clock: Clock::new(),
            session: None,
            trace_header: None,
        }
    }

    fn loc(account: &str, region: &str, name: &str) -> Option<QueueLocation> {
        Some(QueueLocation {
            account: account.into(),
            region: region.into(),
            name: name.into(),
        })
    }

    #[test]
    fn every_usual_queue_url_form_parses() {
        let c = ctx();
        assert_eq!(
            parse_queue_url(&c, "http://localhost:4566/000000000000/q"),
            loc("000000000000", "us-east-1", "q")
        );
        assert_eq!(
            parse_queue_url(
                &c,
                "https://sqs.us-east-2.amazonaws.com/123456789012/q.fifo"
            ),
            loc("123456789012", "us-east-2", "q.fifo")
        );
        assert_eq!(
            parse_queue_url(
                &c,
                "http://sqs.eu-west-1.localhost.localstack.cloud:4566/000000000000/q"
            ),
            loc("000000000000", "eu-west-1", "q")
        );
        assert_eq!(
            parse_queue_url(&c, "http://localhost:4566/queue/ap-south-1/000000000000/q"),
            loc("000000000000", "ap-south-1", "q")
        );
        assert_eq!(
            parse_queue_url(&c, "q"),
            loc("000000000000", "us-east-1", "q")
        );
        assert_eq!(parse_queue_url(&c, "http://localhost:4566/"), None);
    }

    #[test]
    fn arns_round_trip() {
        let l = QueueLocation {
            account: "1".into(),
            region: "eu-west-1".into(),
            name: "q".into(),
        };
        assert_eq!(parse_queue_arn(&l.arn()), Some(l));
        assert_eq!(parse_queue_arn("dummy"), None);
    }
}
