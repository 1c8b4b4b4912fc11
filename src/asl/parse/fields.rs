//! Which fields each state type admits in each query language, and the check that reports
//! the others the way Step Functions does.

use super::context::{at, Ctx, Obj};
use crate::asl::ast::QueryLanguage;

pub(crate) const STATE_TYPES: &str = "[Task, Wait, Pass, Succeed, Fail, Choice, Parallel, Map]";

/// Fields that exist only in JSONPath states.
pub(crate) const JSONPATH_ONLY: [&str; 16] = [
    "InputPath",
    "OutputPath",
    "Parameters",
    "ResultPath",
    "ResultSelector",
    "Result",
    "ItemsPath",
    "TimeoutSecondsPath",
    "HeartbeatSecondsPath",
    "SecondsPath",
    "TimestampPath",
    "ErrorPath",
    "CausePath",
    "MaxConcurrencyPath",
    "ToleratedFailureCountPath",
    "ToleratedFailurePercentagePath",
];

/// Fields that exist only in JSONata states.
pub(crate) const JSONATA_ONLY: [&str; 3] = ["Arguments", "Output", "Items"];

pub(crate) fn fields_of(type_name: &str) -> &'static [&'static str] {
    match type_name {
        "Pass" => &[
            "Type",
            "Comment",
            "QueryLanguage",
            "Next",
            "End",
            "InputPath",
            "OutputPath",
            "Parameters",
            "ResultPath",
            "Result",
            "Assign",
            "Output",
        ],
        "Task" => &[
            "Type",
            "Comment",
            "QueryLanguage",
            "Next",
            "End",
            "InputPath",
            "OutputPath",
            "Parameters",
            "Arguments",
            "ResultSelector",
            "ResultPath",
            "Resource",
            "Retry",
            "Catch",
            "TimeoutSeconds",
            "TimeoutSecondsPath",
            "HeartbeatSeconds",
            "HeartbeatSecondsPath",
            "Credentials",
            "Assign",
            "Output",
        ],
        "Choice" => &[
            "Type",
            "Comment",
            "QueryLanguage",
            "InputPath",
            "OutputPath",
            "Choices",
            "Default",
            "Assign",
            "Output",
        ],
        "Wait" => &[
            "Type",
            "Comment",
            "QueryLanguage",
            "Next",
            "End",
            "InputPath",
            "OutputPath",
            "Seconds",
            "SecondsPath",
            "Timestamp",
            "TimestampPath",
            "Assign",
            "Output",
        ],
        "Succeed" => &[
            "Type",
            "Comment",
            "QueryLanguage",
            "InputPath",
            "OutputPath",
            "Output",
        ],
        "Fail" => &[
            "Type",
            "Comment",
            "QueryLanguage",
            "Error",
            "ErrorPath",
            "Cause",
            "CausePath",
        ],
        "Parallel" => &[
            "Type",
            "Comment",
            "QueryLanguage",
            "Next",
            "End",
            "InputPath",
            "OutputPath",
            "Parameters",
            "Arguments",
            "ResultSelector",
            "ResultPath",
            "Retry",
            "Catch",
            "Branches",
            "Assign",
            "Output",
        ],
        "Map" => &[
            "Type",
            "Comment",
            "QueryLanguage",
            "Next",
            "End",
            "InputPath",
            "OutputPath",
            "Parameters",
            "ItemSelector",
            "ResultSelector",
            "ResultPath",
            "Retry",
            "Catch",
            "ItemsPath",
            "Items",
            "ItemProcessor",
            "Iterator",
            "MaxConcurrency",
            "MaxConcurrencyPath",
            "ToleratedFailureCount",
            "ToleratedFailureCountPath",
            "ToleratedFailurePercentage",
            "ToleratedFailurePercentagePath",
            "ItemReader",
            "ItemBatcher",
            "ResultWriter",
            "Label",
            "Assign",
            "Output",
        ],
        _ => &[],
    }
}

/// Unsupported fields: one of the other language (reported at the field itself), or any
/// other field the state type does not have (reported at the state).
pub(crate) fn check_fields(
    ctx: &mut Ctx,
    obj: &Obj,
    type_name: &str,
    language: QueryLanguage,
    location: &str,
) {
    let allowed = fields_of(type_name);
    for key in obj.keys() {
        let key = key.as_str();
        let wrong_language = match language {
            QueryLanguage::JsonPath => JSONATA_ONLY.contains(&key),
            QueryLanguage::Jsonata => JSONPATH_ONLY.contains(&key),
        };
        if allowed.contains(&key) && !wrong_language {
            continue;
        }
        if allowed.contains(&key) {
            ctx.schema(
                format!(
                    "The field '{key}' is not supported when 'QueryLanguage' is '{}'",
                    language.as_str()
                ),
                &at(location, key),
            );
        } else {
            // AWS words an unknown name and a field of another state type alike (as deploy logs show).
            ctx.schema(format!("Field '{key}' is not supported"), location);
        }
    }
}
