//! What a Task's `Resource` names: an optimized integration (`arn:aws:states:::sqs:sendMessage`),
//! an AWS SDK integration (`arn:aws:states:::aws-sdk:sqs:sendMessage`), a Lambda function ARN,
//! or an activity; with the integration pattern its suffix asks for.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pattern {
    RequestResponse,
    /// `.sync`: wait for the job (a child execution) and return its description.
    Sync,
    /// `.sync:2`: as `.sync`, with the child's output as JSON rather than a string.
    Sync2,
    /// `.waitForTaskToken`: wait for SendTaskSuccess/Failure on the task's token.
    Callback,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resource {
    /// `arn:<partition>:states:::<service>:<action>[.<pattern>]`.
    Optimized {
        service: String,
        action: String,
        pattern: Pattern,
    },
    /// `arn:<partition>:states:::aws-sdk:<service>:<action>[.waitForTaskToken]`.
    Sdk {
        service: String,
        action: String,
        pattern: Pattern,
    },
    /// `arn:<partition>:lambda:<region>:<account>:function:<name>[:<qualifier>]`.
    LambdaFunction {
        arn: String,
    },
    Activity,
    Unknown,
}

impl Resource {
    /// Whether its call goes out of stepyard (Lambda, over HTTP) rather than to one of its
    /// own services.
    pub fn leaves_process(&self) -> bool {
        match self {
            Resource::LambdaFunction { .. } => true,
            Resource::Optimized { service, .. } | Resource::Sdk { service, .. } => {
                service == "lambda"
            }
            Resource::Activity | Resource::Unknown => false,
        }
    }

    pub fn parse(resource: &str) -> Resource {
        let parts: Vec<&str> = resource.splitn(6, ':').collect();
        if parts.len() < 6 || parts[0] != "arn" {
            return Resource::Unknown;
        }
        match parts[2] {
            "lambda" if parts[5].starts_with("function:") => Resource::LambdaFunction {
                arn: resource.to_string(),
            },
            "states" if parts[5].starts_with("activity:") => Resource::Activity,
            "states" if parts[3].is_empty() && parts[4].is_empty() => {
                let rest = parts[5];
                let (head, pattern) = split_pattern(rest);
                match head.split_once(':') {
                    Some(("aws-sdk", sdk)) => match sdk.split_once(':') {
                        Some((service, action)) if !service.is_empty() && !action.is_empty() => {
                            Resource::Sdk {
                                service: service.to_string(),
                                action: action.to_string(),
                                pattern,
                            }
                        }
                        _ => Resource::Unknown,
                    },
                    Some((service, action)) if !service.is_empty() && !action.is_empty() => {
                        Resource::Optimized {
                            service: service.to_string(),
                            action: action.to_string(),
                            pattern,
                        }
                    }
                    _ => Resource::Unknown,
                }
            }
            _ => Resource::Unknown,
        }
    }

    /// The `(resourceType, resource)` pair of the Task* history events.
    pub fn history_names(&self, resource: &str) -> (String, String) {
        let suffixed = |action: &str, pattern: Pattern| match pattern {
            Pattern::RequestResponse => action.to_string(),
            Pattern::Sync => format!("{action}.sync"),
            Pattern::Sync2 => format!("{action}.sync:2"),
            Pattern::Callback => format!("{action}.waitForTaskToken"),
        };
        match self {
            Resource::Optimized {
                service,
                action,
                pattern,
            } => (service.clone(), suffixed(action, *pattern)),
            Resource::Sdk {
                service,
                action,
                pattern,
            } => (format!("aws-sdk:{service}"), suffixed(action, *pattern)),
            Resource::LambdaFunction { .. } => ("lambda".into(), resource.to_string()),
            Resource::Activity | Resource::Unknown => (String::new(), resource.to_string()),
        }
    }

    pub fn pattern(&self) -> Pattern {
        match self {
            Resource::Optimized { pattern, .. } | Resource::Sdk { pattern, .. } => *pattern,
            _ => Pattern::RequestResponse,
        }
    }
}

fn split_pattern(rest: &str) -> (&str, Pattern) {
    for (suffix, pattern) in [
        (".waitForTaskToken", Pattern::Callback),
        (".sync:2", Pattern::Sync2),
        (".sync", Pattern::Sync),
    ] {
        if let Some(head) = rest.strip_suffix(suffix) {
            return (head, pattern);
        }
    }
    (rest, Pattern::RequestResponse)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resources_are_told_apart_with_their_pattern() {
        assert_eq!(
            Resource::parse("arn:aws:states:::sqs:sendMessage.waitForTaskToken"),
            Resource::Optimized {
                service: "sqs".into(),
                action: "sendMessage".into(),
                pattern: Pattern::Callback
            }
        );
        assert_eq!(
            Resource::parse("arn:aws:states:::states:startExecution.sync:2").pattern(),
            Pattern::Sync2
        );
        assert_eq!(
            Resource::parse("arn:aws:states:::aws-sdk:sfn:startExecution"),
            Resource::Sdk {
                service: "sfn".into(),
                action: "startExecution".into(),
                pattern: Pattern::RequestResponse
            }
        );
        assert!(matches!(
            Resource::parse("arn:aws:lambda:us-east-1:000000000000:function:f"),
            Resource::LambdaFunction { .. }
        ));
        assert_eq!(
            Resource::parse("arn:aws:states:us-east-1:000000000000:activity:a"),
            Resource::Activity
        );
        assert_eq!(Resource::parse("not-an-arn"), Resource::Unknown);
        let r = Resource::parse("arn:aws:states:::aws-sdk:sqs:sendMessage");
        assert_eq!(
            r.history_names(""),
            ("aws-sdk:sqs".to_string(), "sendMessage".to_string())
        );
    }
}
