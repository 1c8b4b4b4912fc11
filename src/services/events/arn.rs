//! EventBridge ARNs: buses are named by name or ARN in most operations; rules, archives,
//! replays, connections and API destinations have ARNs of their own.

use super::store::DEFAULT_BUS;
use crate::services::RequestContext;

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
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    match parts.as_slice() {
        ["arn", _, "events", region, account, resource] => {
            let name = resource.strip_prefix("event-bus/")?;
            Some((account.to_string(), region.to_string(), name.to_string()))
        }
        _ => None,
    }
}

/// `arn:aws:events:<region>:<account>:rule/<name>`, with the bus in the path unless default.
pub fn rule_arn(ctx: &RequestContext, bus: &str, rule: &str) -> String {
    let (region, account) = (&ctx.region, &ctx.account_id);
    if bus == DEFAULT_BUS {
        format!("arn:aws:events:{region}:{account}:rule/{rule}")
    } else {
        format!("arn:aws:events:{region}:{account}:rule/{bus}/{rule}")
    }
}

/// `arn:aws:events:<region>:<account>:<kind>/<name>` for archives, replays, API destinations.
pub fn resource_arn(ctx: &RequestContext, kind: &str, name: &str) -> String {
    format!(
        "arn:aws:events:{}:{}:{kind}/{name}",
        ctx.region, ctx.account_id
    )
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
