//! SNS ARNs: topics (`arn:<partition>:sns:<region>:<account>:<name>`), subscriptions (the topic ARN
//! plus `:<uuid>`), platform applications and endpoints (`...:app/<platform>/<name>`,
//! `...:endpoint/<platform>/<name>/<uuid>`), and the SQS queue ARNs subscriptions point at.

use super::errors::SnsError;
use crate::arn::Arn;
use crate::request::RequestContext;
use crate::services::sqs::queue_url::QueueLocation;

pub fn topic_arn(ctx: &RequestContext, name: &str) -> String {
    crate::arn::build("sns", &ctx.region, &ctx.account_id, name)
}

/// The prefix every topic ARN of the caller's account and region starts with.
pub fn region_prefix(ctx: &RequestContext) -> String {
    topic_arn(ctx, "")
}

/// Any ARN with a service and a resource, which is all SNS asks of the ARNs it is given.
pub fn parse(arn: &str) -> Option<Arn<'_>> {
    Arn::parse(arn).filter(|a| !a.service.is_empty() && !a.resource.is_empty())
}

/// Checks that `arn` names a topic in the caller's region; AWS answers "Invalid parameter:
/// TopicArn" for anything else (a malformed ARN, another region, a subscription ARN).
pub fn check_topic_arn(ctx: &RequestContext, arn: &str, parameter: &str) -> Result<(), SnsError> {
    match parse(arn) {
        Some(a)
            if a.service == "sns"
                && a.region == ctx.region
                && !a.resource.contains(':')
                && !a.resource.contains('/') =>
        {
            Ok(())
        }
        _ => Err(SnsError::invalid(parameter)),
    }
}

/// The first check SNS makes of an ARN parameter that is not a topic's: six `:`-separated
/// elements, or `Invalid parameter: <Param> Reason: An ARN must have at least 6 elements, not n`.
pub fn check_elements(arn: &str, parameter: &str) -> Result<(), SnsError> {
    let parts = arn.split(':').count();
    if parts < 6 {
        return Err(SnsError::invalid(format!(
            "{parameter} Reason: An ARN must have at least 6 elements, not {parts}"
        )));
    }
    Ok(())
}

/// The topic ARN a subscription ARN belongs to.
pub fn topic_of_subscription(subscription_arn: &str) -> Option<&str> {
    let (topic, id) = subscription_arn.rsplit_once(':')?;
    let parsed = parse(topic)?;
    (parsed.service == "sns" && !id.is_empty()).then_some(topic)
}

/// The queue an SQS queue ARN names.
pub fn sqs_queue(arn: &str) -> Option<QueueLocation> {
    parse(arn)
        .filter(|a| a.is("sqs") && !a.resource.contains(':'))
        .map(|a| QueueLocation::of(&a))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_topic_subscription_and_queue_arns() {
        let a = parse("arn:aws:sns:us-east-1:000000000000:t").unwrap();
        assert_eq!(
            (a.service, a.region, a.account, a.resource),
            ("sns", "us-east-1", "000000000000", "t")
        );
        assert_eq!(
            topic_of_subscription("arn:aws:sns:us-east-1:000000000000:t:1234"),
            Some("arn:aws:sns:us-east-1:000000000000:t")
        );
        assert_eq!(
            topic_of_subscription("arn:aws:sns:us-east-1:000000000000"),
            None
        );
        assert_eq!(
            sqs_queue("arn:aws:sqs:eu-west-1:111111111111:q.fifo"),
            Some(QueueLocation {
                account: "111111111111".into(),
                region: "eu-west-1".into(),
                name: "q.fifo".into()
            })
        );
        assert!(parse("not-an-arn").is_none());
    }
}
