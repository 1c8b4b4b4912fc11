//! The statement AddPermission writes into a resource policy, as SNS and SQS both write it:
//! account principals by their root ARN, actions prefixed by the service, and a single
//! principal or action as a string rather than a one-element list.

use serde_json::{json, Value};

/// `{"Sid": label, "Effect": "Allow", "Principal": {"AWS": ...}, "Action": ..., "Resource": ...}`
/// granting `accounts` the `actions` (named without the `SNS:`/`SQS:` prefix `service` gives)
/// on `resource`, whose region gives the principals' partition.
pub fn allow_statement(
    label: &str,
    region: &str,
    accounts: &[String],
    service: &str,
    actions: &[String],
    resource: &str,
) -> Value {
    let principals = accounts
        .iter()
        .map(|a| crate::arn::account_root(region, a))
        .collect();
    let actions = actions.iter().map(|a| format!("{service}:{a}")).collect();
    json!({
        "Sid": label,
        "Effect": "Allow",
        "Principal": {"AWS": one_or_many(principals)},
        "Action": one_or_many(actions),
        "Resource": resource,
    })
}

fn one_or_many(mut items: Vec<String>) -> Value {
    if items.len() == 1 {
        items.remove(0).into()
    } else {
        items.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_principal_or_action_is_a_string_and_more_are_a_list() {
        let one = allow_statement(
            "s",
            "cn-north-1",
            &["1".into()],
            "SQS",
            &["SendMessage".into()],
            "r",
        );
        assert_eq!(one["Principal"]["AWS"], "arn:aws-cn:iam::1:root");
        assert_eq!(one["Action"], "SQS:SendMessage");
        let two = allow_statement("s", "us-east-1", &["1".into(), "2".into()], "SNS", &[], "r");
        assert_eq!(
            two["Principal"]["AWS"],
            json!(["arn:aws:iam::1:root", "arn:aws:iam::2:root"])
        );
        assert_eq!(two["Action"], json!([]));
    }
}
