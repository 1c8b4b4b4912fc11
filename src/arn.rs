//! What every ARN shares: the partition, which follows from the region
//! (`arn:aws-cn:states:cn-northwest-1:...`, `arn:aws-iso-b:events:us-isob-east-1:...`).

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
    use super::partition;

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
}
