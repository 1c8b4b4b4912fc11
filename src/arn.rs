//! The one ARN type every service reads and builds ARNs with:
//! `arn:<partition>:<service>:<region>:<account>:<resource>`. The partition follows from the
//! region (`arn:aws-cn:states:cn-northwest-1:...`, `arn:aws-iso-b:events:us-isob-east-1:...`),
//! so a resource created in a China or GovCloud region carries the ARN AWS would give it.

/// The parts of an ARN, borrowed from its text. The resource is everything after the fifth `:`
/// (it may hold more `:` or `/`, which each service reads its own way).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arn<'a> {
    pub partition: &'a str,
    pub service: &'a str,
    pub region: &'a str,
    pub account: &'a str,
    pub resource: &'a str,
}

impl<'a> Arn<'a> {
    /// Six `:`-separated fields starting with `arn`; any field may be empty (IAM ARNs have no
    /// region, `arn:aws:states:::sqs:sendMessage` no account), so callers check what they need.
    pub fn parse(text: &'a str) -> Option<Arn<'a>> {
        let mut parts = text.splitn(6, ':');
        let (
            Some("arn"),
            Some(partition),
            Some(service),
            Some(region),
            Some(account),
            Some(resource),
        ) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        )
        else {
            return None;
        };
        Some(Arn {
            partition,
            service,
            region,
            account,
            resource,
        })
    }

    /// Whether the ARN is of `service` (`sqs`, `states`, ...).
    pub fn is(&self, service: &str) -> bool {
        self.service == service
    }
}

/// `arn:<partition>:<service>:<region>:<account>`, what every ARN of one account's resources of
/// one service in one region starts with (callers append `:<resource>`).
pub fn prefix(service: &str, region: &str, account: &str) -> String {
    format!("arn:{}:{service}:{region}:{account}", partition(region))
}

/// `arn:<partition>:<service>:<region>:<account>:<resource>`.
pub fn build(service: &str, region: &str, account: &str, resource: &str) -> String {
    format!("{}:{resource}", prefix(service, region, account))
}

/// `arn:<partition>:iam::<account>:root`, the principal a policy names for an account; the
/// partition is the caller's region's.
pub fn account_root(region: &str, account: &str) -> String {
    format!("arn:{}:iam::{account}:root", partition(region))
}

/// The partition a region belongs to; every region not named here is in `aws`.
pub fn partition(region: &str) -> &'static str {
    // Longest prefixes first: `us-isob-` and `us-isof-` also start with `us-iso`.
    const PARTITIONS: [(&str, &str); 7] = [
        ("cn-", "aws-cn"),
        ("us-gov-", "aws-us-gov"),
        ("us-isob-", "aws-iso-b"),
        ("us-isof-", "aws-iso-f"),
        ("us-iso-", "aws-iso"),
        ("eu-isoe-", "aws-iso-e"),
        ("eusc-", "aws-eusc"),
    ];
    PARTITIONS
        .iter()
        .find(|(prefix, _)| region.starts_with(prefix))
        .map_or("aws", |(_, partition)| partition)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_region_family_has_its_partition() {
        for (region, expected) in [
            ("us-east-1", "aws"),
            ("eu-west-3", "aws"),
            ("cn-northwest-1", "aws-cn"),
            ("us-gov-west-1", "aws-us-gov"),
            ("us-iso-east-1", "aws-iso"),
            ("us-isob-east-1", "aws-iso-b"),
            ("us-isof-south-1", "aws-iso-f"),
            ("eu-isoe-west-1", "aws-iso-e"),
        ] {
            assert_eq!(partition(region), expected, "{region}");
        }
    }

    #[test]
    fn arns_are_built_with_the_partition_of_their_region_and_read_back() {
        let text = build("sqs", "cn-north-1", "000000000000", "q");
        assert_eq!(text, "arn:aws-cn:sqs:cn-north-1:000000000000:q");
        let arn = Arn::parse(&text).expect("parses");
        assert_eq!(
            (
                arn.partition,
                arn.service,
                arn.region,
                arn.account,
                arn.resource
            ),
            ("aws-cn", "sqs", "cn-north-1", "000000000000", "q")
        );
        assert_eq!(
            account_root("us-gov-west-1", "1"),
            "arn:aws-us-gov:iam::1:root"
        );
    }

    #[test]
    fn the_resource_keeps_its_colons_and_fewer_than_six_fields_is_no_arn() {
        let arn = Arn::parse("arn:aws:states:us-east-1:1:execution:m:e").expect("parses");
        assert_eq!(arn.resource, "execution:m:e");
        let empty = Arn::parse("arn:aws:states:::sqs:sendMessage").expect("parses");
        assert_eq!((empty.region, empty.account), ("", ""));
        assert_eq!(Arn::parse("arn:aws:sns:us-east-1:1"), None);
        assert_eq!(Arn::parse("urn:aws:sns:us-east-1:1:t"), None);
    }
}
