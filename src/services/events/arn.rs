//! EventBridge ARNs: buses are named by name or ARN in most operations; rules, archives,
//! replays, connections and API destinations have ARNs of their own.

use crate::arn::Arn;
use crate::request::RequestContext;

/// The bus every account and Region has, which cannot be deleted.
pub const DEFAULT_BUS: &str = "default";

/// The bus an `EventBusName` member names (a name or an event-bus ARN); absent means default.
pub fn bus_name(name_or_arn: Option<&str>) -> String {
    match name_or_arn {
        None => DEFAULT_BUS.to_string(),
        Some(text) => match text.split_once(":event-bus/") {
            Some((_, name)) if text.starts_with("arn:") => name.to_string(),
            _ => text.to_string(),
        },
    }
}

/// The (account, region, bus name) an event-bus ARN names.
pub fn parse_bus_arn(arn: &str) -> Option<(String, String, String)> {
    let arn = Arn::parse(arn).filter(|a| a.is("events"))?;
    let name = arn.resource.strip_prefix("event-bus/")?;
    Some((arn.account.into(), arn.region.into(), name.into()))
}

/// `arn:<partition>:events:<region>:<account>`, what every ARN of the caller's starts with.
pub fn prefix(account: &str, region: &str) -> String {
    crate::arn::prefix("events", region, account)
}

/// `arn:<partition>:events:<region>:<account>:rule/<name>`, with the bus in the path unless
/// default.
pub fn rule_arn(ctx: &RequestContext, bus: &str, rule: &str) -> String {
    let prefix = prefix(&ctx.account_id, &ctx.region);
    if bus == DEFAULT_BUS {
        format!("{prefix}:rule/{rule}")
    } else {
        format!("{prefix}:rule/{bus}/{rule}")
    }
}

/// `arn:<partition>:events:<region>:<account>:<kind>/<name>` for archives, replays,
/// connections, API destinations, endpoints.
pub fn resource_arn(ctx: &RequestContext, kind: &str, name: &str) -> String {
    format!("{}:{kind}/{name}", prefix(&ctx.account_id, &ctx.region))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bus_names_come_from_names_or_arns() {
        assert_eq!(bus_name(None), "default");
        assert_eq!(bus_name(Some("orders")), "orders");
        assert_eq!(
            bus_name(Some(
                "arn:aws:events:us-east-1:000000000000:event-bus/orders"
            )),
            "orders"
        );
        assert_eq!(
            parse_bus_arn("arn:aws:events:eu-west-1:111111111111:event-bus/b"),
            Some(("111111111111".into(), "eu-west-1".into(), "b".into()))
        );
        assert_eq!(parse_bus_arn("arn:aws:sqs:eu-west-1:1:q"), None);
    }
}
