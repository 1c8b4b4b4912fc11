//! Typed view of a botocore service model: only the parts stepyard uses.

use super::{Metadata, ServiceModel};
use serde::Deserialize;
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::OnceLock;

#[derive(Debug, Clone)]
pub struct Operation {
    pub name: String,
    pub input: Option<String>,
    pub output: Option<String>,
    /// awsQuery: the element wrapping the output (`SendMessageResult`).
    pub result_wrapper: Option<String>,
}

/// A reference from a structure, list or map to a shape, with its wire name.
#[derive(Debug, Clone)]
pub struct Member {
    pub shape: String,
    /// `locationName`: the name on the wire when it differs from the member name.
    pub location_name: Option<String>,
    /// A member-level `flattened` (SQS query's `MessageAttributeValue.StringListValues`).
    pub flattened: bool,
}

#[derive(Debug, Clone)]
pub struct Shape {
    pub kind: ShapeKind,
    pub flattened: bool,
    /// A shape-level `locationName`: the wire name of members referencing the shape without
    /// one of their own (SQS query's `TagQueue` sends its `Tags` map as `Tag.N.Key`).
    pub location_name: Option<String>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub pattern: Option<String>,
    /// `pattern` compiled on first use (most shapes are never validated against theirs).
    pattern_regex: OnceLock<Option<regex_lite::Regex>>,
    pub enum_values: Option<Vec<String>>,
    /// awsQuery error code of an exception shape (`error.code`), if the model gives one.
    pub error_code: Option<String>,
    /// The model marks the value sensitive (a state machine definition, a task token): AWS
    /// never echoes it in an error message.
    pub sensitive: bool,
}

#[derive(Debug, Clone)]
pub enum ShapeKind {
    /// Members in model order, and the required ones.
    Structure {
        members: Vec<(String, Member)>,
        required: Vec<String>,
    },
    List {
        member: Member,
    },
    Map {
        key: Member,
        value: Member,
    },
    String,
    Integer,
    Long,
    Float,
    Double,
    Boolean,
    Blob,
    Timestamp,
}

impl ShapeKind {
    pub fn type_name(&self) -> &'static str {
        match self {
            ShapeKind::Structure { .. } => "structure",
            ShapeKind::List { .. } => "list",
            ShapeKind::Map { .. } => "map",
            ShapeKind::String => "string",
            ShapeKind::Integer => "integer",
            ShapeKind::Long => "long",
            ShapeKind::Float => "float",
            ShapeKind::Double => "double",
            ShapeKind::Boolean => "boolean",
            ShapeKind::Blob => "blob",
            ShapeKind::Timestamp => "timestamp",
        }
    }
}

impl Shape {
    /// Whether `s` satisfies the shape's `pattern` as AWS applies it: the whole string must
    /// match (Java's `matches`). A pattern our regex engine cannot compile (look-arounds,
    /// `\p{..}` classes) is not enforced rather than refusing valid input.
    pub fn matches_pattern(&self, s: &str) -> bool {
        let Some(pattern) = &self.pattern else {
            return true;
        };
        let regex = self
            .pattern_regex
            .get_or_init(|| regex_lite::Regex::new(&format!("^(?:{pattern})$")).ok());
        regex.as_ref().is_none_or(|r| r.is_match(s))
    }

    pub fn referenced_shapes(&self) -> Vec<&str> {
        match &self.kind {
            ShapeKind::Structure { members, .. } => {
                members.iter().map(|(_, m)| m.shape.as_str()).collect()
            }
            ShapeKind::List { member } => vec![member.shape.as_str()],
            ShapeKind::Map { key, value } => vec![key.shape.as_str(), value.shape.as_str()],
            _ => Vec::new(),
        }
    }

    pub fn member(&self, name: &str) -> Option<&Member> {
        match &self.kind {
            ShapeKind::Structure { members, .. } => {
                members.iter().find(|(n, _)| n == name).map(|(_, m)| m)
            }
            _ => None,
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawModel {
    metadata: RawMetadata,
    operations: HashMap<String, RawOperation>,
    shapes: HashMap<String, RawShape>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawMetadata {
    protocol: String,
    target_prefix: Option<String>,
    json_version: Option<String>,
    xml_namespace: Option<String>,
    api_version: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawOperation {
    name: String,
    input: Option<RawRef>,
    output: Option<RawRef>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawRef {
    shape: String,
    location_name: Option<String>,
    result_wrapper: Option<String>,
    #[serde(default)]
    flattened: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawShape {
    #[serde(rename = "type")]
    ty: String,
    /// Kept as a JSON object so that model order survives (serde_json's preserve_order).
    members: Option<Map<String, Value>>,
    #[serde(default)]
    required: Vec<String>,
    member: Option<RawRef>,
    key: Option<RawRef>,
    value: Option<RawRef>,
    #[serde(default)]
    flattened: bool,
    location_name: Option<String>,
    min: Option<f64>,
    max: Option<f64>,
    pattern: Option<String>,
    #[serde(rename = "enum")]
    enum_values: Option<Vec<String>>,
    error: Option<RawErrorTrait>,
    #[serde(default)]
    sensitive: bool,
}

#[derive(Deserialize)]
struct RawErrorTrait {
    code: Option<String>,
}

impl From<RawRef> for Member {
    fn from(r: RawRef) -> Self {
        Member {
            shape: r.shape,
            location_name: r.location_name,
            flattened: r.flattened,
        }
    }
}

fn missing(what: &str, shape: &str) -> serde_json::Error {
    serde::de::Error::custom(format!("shape {shape}: {what} missing"))
}

pub(super) fn parse_model(text: &str) -> Result<ServiceModel, serde_json::Error> {
    let raw: RawModel = serde_json::from_str(text)?;
    let mut shapes = HashMap::with_capacity(raw.shapes.len());
    for (name, s) in raw.shapes {
        let kind = match s.ty.as_str() {
            "structure" => {
                let mut members = Vec::new();
                for (member_name, value) in s.members.unwrap_or_default() {
                    let r: RawRef = serde_json::from_value(value)?;
                    members.push((member_name, Member::from(r)));
                }
                ShapeKind::Structure {
                    members,
                    required: s.required,
                }
            }
            "list" => ShapeKind::List {
                member: s.member.ok_or_else(|| missing("member", &name))?.into(),
            },
            "map" => ShapeKind::Map {
                key: s.key.ok_or_else(|| missing("key", &name))?.into(),
                value: s.value.ok_or_else(|| missing("value", &name))?.into(),
            },
            "string" => ShapeKind::String,
            "integer" => ShapeKind::Integer,
            "long" => ShapeKind::Long,
            "float" => ShapeKind::Float,
            "double" => ShapeKind::Double,
            "boolean" => ShapeKind::Boolean,
            "blob" => ShapeKind::Blob,
            "timestamp" => ShapeKind::Timestamp,
            other => {
                return Err(serde::de::Error::custom(format!(
                    "shape {name}: unknown type {other}"
                )))
            }
        };
        shapes.insert(
            name,
            Shape {
                kind,
                flattened: s.flattened,
                location_name: s.location_name,
                min: s.min,
                max: s.max,
                pattern: s.pattern,
                pattern_regex: OnceLock::new(),
                enum_values: s.enum_values,
                error_code: s.error.and_then(|e| e.code),
                sensitive: s.sensitive,
            },
        );
    }
    let operations = raw
        .operations
        .into_values()
        .map(|op| {
            let result_wrapper = op.output.as_ref().and_then(|o| o.result_wrapper.clone());
            let operation = Operation {
                name: op.name.clone(),
                input: op.input.map(|i| i.shape),
                output: op.output.map(|o| o.shape),
                result_wrapper,
            };
            (op.name, operation)
        })
        .collect();
    Ok(ServiceModel {
        metadata: Metadata {
            protocol: raw.metadata.protocol,
            target_prefix: raw.metadata.target_prefix,
            json_version: raw.metadata.json_version,
            xml_namespace: raw.metadata.xml_namespace,
            api_version: raw.metadata.api_version,
        },
        operations,
        shapes,
    })
}
