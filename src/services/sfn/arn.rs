//! Step Functions ARNs: building them for new resources and reading the ones clients send.
//!
//! `arn:<partition>:states:<region>:<account>:<type>:<name>[:<qualifier>]` where the type is
//! `stateMachine` (qualifier: a version number or an alias name), `execution`
//! (`<machine>:<name>`), `express` (`<machine>:<name>:<id>`) or `activity`.

use super::errors::SfnError;
use crate::request::RequestContext;

/// What an ARN names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resource {
    StateMachine {
        name: String,
    },
    Version {
        machine: String,
        version: u64,
    },
    Alias {
        machine: String,
        alias: String,
    },
    Execution {
        machine: String,
        name: String,
    },
    ExpressExecution,
    Activity {
        name: String,
    },
    /// Any other resource type (`mapRun`, ...): valid syntax, wrong place.
    Other(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arn {
    pub region: String,
    pub account: String,
    pub resource: Resource,
}

impl Arn {
    /// Whether the ARN lives in the caller's account and region (otherwise it names nothing
    /// the caller can see).
    pub fn is_local(&self, ctx: &RequestContext) -> bool {
        self.region == ctx.region && self.account == ctx.account_id
    }

    /// The resource type as AWS names it in "Resource type not valid in this context".
    pub fn type_name(&self) -> &str {
        match &self.resource {
            Resource::StateMachine { .. } | Resource::Version { .. } | Resource::Alias { .. } => {
                "stateMachine"
            }
            Resource::Execution { .. } => "execution",
            Resource::ExpressExecution => "express",
            Resource::Activity { .. } => "activity",
            Resource::Other(kind) => kind,
        }
    }
}

pub fn parse(text: &str) -> Result<Arn, SfnError> {
    let bad_prefix = || SfnError::InvalidArn(format!("Invalid ARN prefix: {text}"));
    let Some(crate::arn::Arn {
        partition,
        service: "states",
        region,
        account,
        resource: rest,
    }) = crate::arn::Arn::parse(text)
    else {
        return Err(bad_prefix());
    };
    if !partition.starts_with("aws") || region.is_empty() || account.is_empty() {
        return Err(bad_prefix());
    }
    let malformed = || SfnError::InvalidArn(format!("Invalid ARN: {text}"));
    let fields: Vec<&str> = rest.split(':').collect();
    let non_empty = |s: &&str| !s.is_empty();
    let resource = match fields.as_slice() {
        ["stateMachine", name] if non_empty(name) => Resource::StateMachine {
            name: name.to_string(),
        },
        ["stateMachine", machine, qualifier] if non_empty(machine) && non_empty(qualifier) => {
            // Version numbers are all digits; alias names must contain a non-digit.
            match qualifier.parse::<u64>() {
                Ok(version) => Resource::Version {
                    machine: machine.to_string(),
                    version,
                },
                Err(_) => Resource::Alias {
                    machine: machine.to_string(),
                    alias: qualifier.to_string(),
                },
            }
        }
        ["execution", machine, name] if non_empty(machine) && non_empty(name) => {
            Resource::Execution {
                machine: machine.to_string(),
                name: name.to_string(),
            }
        }
        ["express", ..] => Resource::ExpressExecution,
        ["activity", name] if non_empty(name) => Resource::Activity {
            name: name.to_string(),
        },
        ["stateMachine" | "execution" | "activity", ..] => return Err(malformed()),
        [kind, ..] if !kind.is_empty() => Resource::Other(kind.to_string()),
        _ => return Err(malformed()),
    };
    Ok(Arn {
        region: region.to_string(),
        account: account.to_string(),
        resource,
    })
}

/// `arn:<partition>:states:<region>:<account>`: the partition follows the region.
pub fn prefix(ctx: &RequestContext) -> String {
    crate::arn::prefix("states", &ctx.region, &ctx.account_id)
}

pub fn state_machine(ctx: &RequestContext, name: &str) -> String {
    format!("{}:stateMachine:{name}", prefix(ctx))
}

pub fn execution(ctx: &RequestContext, machine: &str, name: &str) -> String {
    format!("{}:execution:{machine}:{name}", prefix(ctx))
}

/// Express executions are not stored, so their ARN carries an id that makes each unique.
pub fn express_execution(ctx: &RequestContext, machine: &str, name: &str, id: &str) -> String {
    format!("{}:express:{machine}:{name}:{id}", prefix(ctx))
}

pub fn activity(ctx: &RequestContext, name: &str) -> String {
    format!("{}:activity:{name}", prefix(ctx))
}

/// Resource names (state machines, executions, activities): 1-80 characters without
/// whitespace, brackets, wildcards, the special characters AWS lists, or control characters.
pub fn check_name(name: &str) -> Result<(), SfnError> {
    const FORBIDDEN: &str = "<>{}[]?*\"#%\\^|~`$&,;:/";
    let bad = |c: char| {
        c.is_whitespace()
            || FORBIDDEN.contains(c)
            || ('\u{0}'..='\u{1f}').contains(&c)
            || ('\u{7f}'..='\u{9f}').contains(&c)
    };
    let length = name.chars().count();
    if length == 0 || length > 80 || name.chars().any(bad) {
        return Err(SfnError::InvalidName(name.to_string()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_each_resource_type() {
        let machine = parse("arn:aws:states:us-east-1:000000000000:stateMachine:m").unwrap();
        assert_eq!(
            machine.resource,
            Resource::StateMachine { name: "m".into() }
        );
        let version = parse("arn:aws:states:us-east-1:000000000000:stateMachine:m:3").unwrap();
        assert_eq!(
            version.resource,
            Resource::Version {
                machine: "m".into(),
                version: 3
            }
        );
        let alias = parse("arn:aws:states:us-east-1:000000000000:stateMachine:m:prod").unwrap();
        assert_eq!(alias.type_name(), "stateMachine");
        let express = parse("arn:aws:states:us-east-1:000000000000:express:m:n:id").unwrap();
        assert_eq!(express.type_name(), "express");
    }

    #[test]
    fn a_non_arn_has_an_invalid_prefix() {
        assert_eq!(
            parse("not_a_valid_arn").unwrap_err().to_string(),
            "Invalid Arn: 'Invalid ARN prefix: not_a_valid_arn'"
        );
    }

    #[test]
    fn names_refuse_aws_forbidden_characters() {
        assert!(check_name("ok-name_1.2").is_ok());
        for bad in ["a b", "a<b", "a:b", "a\u{1f}", "a\u{7f}", ""] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
        assert!(check_name(&"x".repeat(81)).is_err());
    }
}
