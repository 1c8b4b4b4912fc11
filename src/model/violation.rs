//! What the generic input validator reports. Services turn a violation into their own error
//! (SQS: `MissingParameter` / `InvalidParameterValue`; coral services: `ValidationException`
//! with "1 validation error detected: ..."; SNS: `InvalidParameter`), because each AWS service
//! words these differently.

use serde_json::Value;

#[derive(Debug, Clone, PartialEq)]
pub struct Violation {
    /// Dotted member path from the input root, e.g. `Entries.0.Id` (list indexes 0-based).
    pub path: String,
    /// The last member name on the path (`Id`), or the map/list member's container name.
    pub member: String,
    pub kind: ViolationKind,
    /// The offending value, when there is one (absent for `Missing`).
    pub value: Option<Value>,
    /// The model shape of `value` where the validator knows it (a list that is too long or
    /// too short, a string outside its enum), so a message can render it as the service does:
    /// the coral services print a list of structures Java-style, `[Entry(source=a), ...]`,
    /// and some enums in their server's own order.
    pub value_shape: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ViolationKind {
    Missing,
    /// The value has the wrong JSON type; `expected` is the model type (`string`, `integer`, ...).
    WrongType {
        expected: &'static str,
    },
    NotInEnum {
        allowed: Vec<String>,
    },
    TooShort {
        min: i64,
    },
    TooLong {
        max: i64,
    },
    BelowMin {
        min: f64,
    },
    AboveMax {
        max: f64,
    },
    Pattern {
        pattern: String,
    },
}
