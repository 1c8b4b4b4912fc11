//! Role ARNs (`arn:<partition>:iam::<account>:role/<path/><name>`).

/// What AssumeRole needs from a role ARN.
#[derive(Debug, PartialEq, Eq)]
pub struct RoleArn<'a> {
    pub partition: &'a str,
    pub account_id: &'a str,
    /// The last path segment: assumed-role ARNs name the role without its path.
    pub name: &'a str,
}

impl<'a> RoleArn<'a> {
    pub fn parse(arn: &'a str) -> Option<RoleArn<'a>> {
        let crate::arn::Arn {
            partition,
            service,
            region,
            account: account_id,
            resource,
        } = crate::arn::Arn::parse(arn)?;
        let well_formed = matches!(partition, "aws" | "aws-cn" | "aws-us-gov")
            && service == "iam"
            && region.is_empty()
            && account_id.len() == 12
            && account_id.bytes().all(|b| b.is_ascii_digit());
        let name = resource.strip_prefix("role/")?.rsplit('/').next()?;
        (well_formed && !name.is_empty()).then_some(RoleArn {
            partition,
            account_id,
            name,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_role_arn_names_its_account_and_the_role_without_its_path() {
        let arn = RoleArn::parse("arn:aws:iam::123456789012:role/team/deployer").unwrap();
        assert_eq!((arn.account_id, arn.name), ("123456789012", "deployer"));
        for bad in [
            "arn:aws:iam::123456789012:user/alice",
            "arn:aws:iam:us-east-1:123456789012:role/x",
            "arn:aws:iam::12345:role/x",
            "arn:aws:s3:::123456789012role/x",
            "arn:aws:iam::123456789012:role/",
            "not an arn at all, but long",
        ] {
            assert_eq!(RoleArn::parse(bad), None, "{bad}");
        }
    }
}
