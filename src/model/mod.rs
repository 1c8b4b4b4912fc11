//! The four services' API definitions from `api-models/`, embedded at build time and parsed on
//! first use (so a server that only ever sees SQS traffic never parses the other three).
//! They drive the operation tables, query-protocol decoding, XML encoding and input validation.

pub mod java_text;
pub mod shapes;
pub mod validate;
pub mod violation;

pub use shapes::{Member, Operation, Shape, ShapeKind};
pub use validate::{validate_input, ValidationOptions};
pub use violation::{Violation, ViolationKind};

use std::collections::HashMap;
use std::sync::OnceLock;

/// One service's API definition.
#[derive(Debug)]
pub struct ServiceModel {
    pub metadata: Metadata,
    pub operations: HashMap<String, Operation>,
    pub shapes: HashMap<String, Shape>,
}

#[derive(Debug, Default)]
pub struct Metadata {
    pub protocol: String,
    pub target_prefix: Option<String>,
    pub json_version: Option<String>,
    pub xml_namespace: Option<String>,
    pub api_version: String,
}

impl ServiceModel {
    pub fn parse(text: &str) -> Result<ServiceModel, serde_json::Error> {
        shapes::parse_model(text)
    }

    pub fn operation(&self, name: &str) -> Option<&Operation> {
        self.operations.get(name)
    }

    pub fn shape(&self, name: &str) -> Option<&Shape> {
        self.shapes.get(name)
    }

    /// Operation names, sorted.
    pub fn operation_names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.operations.keys().map(String::as_str).collect();
        names.sort_unstable();
        names
    }
}

macro_rules! embedded_model {
    ($fn_name:ident, $file:literal) => {
        pub fn $fn_name() -> &'static ServiceModel {
            static MODEL: OnceLock<ServiceModel> = OnceLock::new();
            MODEL.get_or_init(|| {
                ServiceModel::parse(include_str!(concat!("../../api-models/", $file))).expect(
                    concat!(
                        "api-models/",
                        $file,
                        " is valid: it is generated and embedded"
                    ),
                )
            })
        }
    };
}

embedded_model!(sqs, "sqs.json");
embedded_model!(sqs_query, "sqs-query.json");
embedded_model!(sns, "sns.json");
embedded_model!(events, "events.json");
embedded_model!(stepfunctions, "stepfunctions.json");
embedded_model!(sts, "sts.json");

/// Output shapes only, of services Step Functions calls that stepyard does not emulate: for
/// TestState's check of a mocked Task result.
pub mod outputs {
    use super::{OnceLock, ServiceModel};
    embedded_model!(lambda, "outputs/lambda.json");
    embedded_model!(dynamodb, "outputs/dynamodb.json");
    embedded_model!(kms, "outputs/kms.json");
    embedded_model!(s3, "outputs/s3.json");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_embedded_model_parses_with_its_operation_count() {
        assert_eq!(sqs().operations.len(), 23);
        assert_eq!(sqs_query().operations.len(), 23);
        assert_eq!(sns().operations.len(), 42);
        assert_eq!(events().operations.len(), 57);
        assert_eq!(stepfunctions().operations.len(), 37);
        assert_eq!(sts().operations.len(), 11);
    }

    #[test]
    fn every_member_refers_to_a_known_shape() {
        for model in [sqs(), sqs_query(), sns(), events(), stepfunctions(), sts()] {
            for shape in model.shapes.values() {
                for target in shape.referenced_shapes() {
                    assert!(model.shapes.contains_key(target), "missing shape {target}");
                }
            }
        }
    }
}
