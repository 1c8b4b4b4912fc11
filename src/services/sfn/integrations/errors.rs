//! How a failed service call becomes a Task failure, named as AWS names it. Optimized
//! integrations report the Java SDK v1 way (`SQS.AmazonSQSException`, `SNS.NotFoundException`,
//! a cause ending in `(Service: AmazonSQS; Status Code: 400; Error Code: ...; Request ID: ...;
//! Proxy: null)`); AWS SDK integrations the SDK v2 way (`Sqs.QueueDoesNotExistException`,
//! `Sfn.SfnException`, `(Service: Sfn, Status Code: 400, Request ID: ...)`).

use crate::asl::interp::Failure;
use crate::error::ApiError;
use crate::request::ServiceId;

/// The exception class a modeled error code maps to, if the model has such an error shape.
fn modeled_exception(service: ServiceId, error: &ApiError) -> Option<String> {
    let model = service.model();
    let candidates = [error.json_type(), error.code.as_ref()];
    let shape_name = candidates.iter().find_map(|name| {
        if model
            .shape(name)
            .is_some_and(|s| s.error_code.is_some() || is_structure(s))
        {
            return Some(name.to_string());
        }
        let with_suffix = format!("{name}Exception");
        model.shape(&with_suffix).map(|_| with_suffix)
    })?;
    Some(if shape_name.ends_with("Exception") {
        shape_name
    } else {
        format!("{shape_name}Exception")
    })
}

fn is_structure(shape: &crate::model::shapes::Shape) -> bool {
    matches!(
        shape.kind,
        crate::model::shapes::ShapeKind::Structure { .. }
    )
}

fn request_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// An optimized integration's failure (`sqs:sendMessage`, `sns:publish`, `states:startExecution`,
/// `events:putEvents`).
pub fn optimized(service: ServiceId, error: &ApiError) -> Failure {
    let (prefix, sdk_name) = match service {
        ServiceId::Sqs => ("SQS", "AmazonSQS"),
        ServiceId::Sns => ("SNS", "AmazonSNS"),
        ServiceId::StepFunctions => ("StepFunctions", "AWSStepFunctions"),
        ServiceId::Events => ("EventBridge", "AmazonEventBridge"),
        ServiceId::Sts => ("Sts", "AWSSecurityTokenService"),
    };
    let class = modeled_exception(service, error).unwrap_or_else(|| format!("{sdk_name}Exception"));
    Failure {
        error: Some(format!("{prefix}.{class}")),
        cause: Some(format!(
            "{} (Service: {sdk_name}; Status Code: {}; Error Code: {}; Request ID: {}; Proxy: null)",
            error.message,
            error.status,
            error.code,
            request_id()
        )),
        from_child: false,
    }
}

/// The SDK v2 client name AWS uses in AWS SDK integration errors.
pub fn sdk_prefix(service: ServiceId) -> &'static str {
    match service {
        ServiceId::Sqs => "Sqs",
        ServiceId::Sns => "Sns",
        ServiceId::StepFunctions => "Sfn",
        ServiceId::Events => "EventBridge",
        ServiceId::Sts => "Sts",
    }
}

/// An AWS SDK integration's failure (`aws-sdk:<service>:<action>`).
pub fn sdk(service: ServiceId, error: &ApiError) -> Failure {
    let prefix = sdk_prefix(service);
    let class = modeled_exception(service, error).unwrap_or_else(|| format!("{prefix}Exception"));
    Failure {
        error: Some(format!("{prefix}.{class}")),
        cause: Some(format!(
            "{} (Service: {prefix}, Status Code: {}, Request ID: {}) (SDK Attempt Count: 1)",
            error.message,
            error.status,
            request_id()
        )),
        from_child: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modeled_errors_take_their_exception_name_and_others_the_generic_one() {
        let not_found = ApiError::new("NotFound", "Topic does not exist", 404);
        let f = optimized(ServiceId::Sns, &not_found);
        assert_eq!(f.error.as_deref(), Some("SNS.NotFoundException"));
        assert!(f
            .cause
            .as_deref()
            .unwrap()
            .starts_with("Topic does not exist (Service: AmazonSNS; Status Code: 404; Error Code: NotFound; Request ID: "));
        let missing = ApiError::sender(
            "MissingParameter",
            "The request must contain the parameter MessageBody.",
        );
        assert_eq!(
            optimized(ServiceId::Sqs, &missing).error.as_deref(),
            Some("SQS.AmazonSQSException")
        );
        let token = ApiError::sender("InvalidToken", "Invalid Token: 'Invalid token'");
        let f = sdk(ServiceId::StepFunctions, &token);
        assert_eq!(f.error.as_deref(), Some("Sfn.InvalidTokenException"));
        assert_eq!(
            sdk(ServiceId::StepFunctions, &missing).error.as_deref(),
            Some("Sfn.SfnException")
        );
    }
}
