//! What a target receives: the whole event, a constant `Input`, the part `InputPath` selects,
//! or an `InputTransformer` template filled from `InputPathsMap` and the predefined
//! `<aws.events.*>` variables. The quoting rules are AWS's, as recorded in
//! `conformance/events/input_transformer_aws_recorded.json`:
//! - a template that starts with `{` or `[` is JSON: a placeholder outside quotes becomes the
//!   value as JSON (a missing value becomes `""`), inside quotes a string is spliced escaped
//!   and anything else as its JSON text; if the result is not valid JSON the event is dropped
//!   for this target, as AWS does;
//! - any other template is text: strings are spliced raw, other values as JSON with the
//!   double quotes taken out (`{acc_id:0a787ecb-4015,sf_id:baz}`, `[HIGH]`), missing as nothing.

use super::errors::EventsError;
use crate::asl::jsonpath::{JsonPath, Scope};
use serde::Deserialize;
use serde_json::{json, Value};

/// A target's `InputTransformer` as PutTargets sends it.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TransformerIn {
    pub input_paths_map: Option<serde_json::Map<String, Value>>,
    pub input_template: String,
}

/// AWS's limit on InputPathsMap entries.
const MAX_PATHS: usize = 100;

#[derive(Debug)]
pub enum InputSpec {
    WholeEvent,
    Constant(String),
    Path(JsonPath),
    Transformer {
        paths: Vec<(String, JsonPath)>,
        template: String,
    },
}

/// What a rule match knows besides the event, for the `<aws.events.*>` variables.
pub struct MatchContext<'a> {
    pub rule_arn: &'a str,
    pub rule_name: &'a str,
    pub ingestion_time: &'a str,
}

/// The variables every template may use without declaring them.
const PREDEFINED: [&str; 5] = [
    "aws.events.rule-arn",
    "aws.events.rule-name",
    "aws.events.event.ingestion-time",
    "aws.events.event",
    "aws.events.event.json",
];

impl InputSpec {
    pub fn new(
        target_id: &str,
        input: Option<String>,
        input_path: Option<String>,
        transformer: Option<TransformerIn>,
    ) -> Result<InputSpec, EventsError> {
        if let Some(input) = input {
            if serde_json::from_str::<Value>(&input).is_err() {
                return Err(EventsError::validation(format!(
                    "Input for target {target_id} is not valid JSON text."
                )));
            }
            return Ok(InputSpec::Constant(input));
        }
        if let Some(path) = input_path {
            let parsed = JsonPath::parse(&path).map_err(|_| {
                EventsError::validation(format!("InputPath for target {target_id} is invalid."))
            })?;
            return Ok(InputSpec::Path(parsed));
        }
        let Some(transformer) = transformer else {
            return Ok(InputSpec::WholeEvent);
        };
        let map = transformer.input_paths_map.unwrap_or_default();
        if map.len() > MAX_PATHS {
            return Err(EventsError::validation(format!(
                "InputPathsMap for target {target_id} can contain at most {MAX_PATHS} entries."
            )));
        }
        let mut paths = Vec::with_capacity(map.len());
        for (key, path) in map {
            if PREDEFINED.contains(&key.as_str()) || key.starts_with("aws.events.") {
                return Err(EventsError::validation(format!(
                    "InputTransformer for target {target_id} contains reserved key {key} in InputPathsMap."
                )));
            }
            let parsed = path
                .as_str()
                .and_then(|p| JsonPath::parse(p).ok())
                .ok_or_else(|| {
                    EventsError::validation(format!(
                        "InputPathsMap for target {target_id} contains invalid path {path}."
                    ))
                })?;
            paths.push((key, parsed));
        }
        for name in placeholders(&transformer.input_template) {
            if !PREDEFINED.contains(&name) && !paths.iter().any(|(k, _)| k == name) {
                return Err(EventsError::validation(format!(
                    "InputTemplate for target {target_id} contains invalid placeholder {name}."
                )));
            }
        }
        Ok(InputSpec::Transformer {
            paths,
            template: transformer.input_template,
        })
    }

    /// The text the target receives for `event`, or `None` when AWS would drop it.
    pub fn render(&self, event: &Value, ctx: &MatchContext) -> Option<String> {
        match self {
            InputSpec::WholeEvent => Some(event.to_string()),
            InputSpec::Constant(text) => Some(text.clone()),
            InputSpec::Path(path) => path
                .eval(&Scope::new(event, &Value::Null))
                .ok()
                .map(|v| v.to_string()),
            InputSpec::Transformer { paths, template } => {
                let lookup = |name: &str| -> Option<Value> {
                    match name {
                        "aws.events.rule-arn" => Some(json!(ctx.rule_arn)),
                        "aws.events.rule-name" => Some(json!(ctx.rule_name)),
                        "aws.events.event.ingestion-time" => Some(json!(ctx.ingestion_time)),
                        "aws.events.event" => Some(event_without_detail(event)),
                        "aws.events.event.json" => Some(event.clone()),
                        _ => paths
                            .iter()
                            .find(|(k, _)| k == name)
                            .and_then(|(_, p)| p.eval(&Scope::new(event, &Value::Null)).ok()),
                    }
                };
                fill(template, lookup)
            }
        }
    }
}

/// `<aws.events.event>`: the envelope without `detail`, with `detail-type` as `detailType`.
fn event_without_detail(event: &Value) -> Value {
    let mut out = serde_json::Map::new();
    if let Value::Object(map) = event {
        for (key, value) in map {
            match key.as_str() {
                "detail" => {}
                "detail-type" => {
                    out.insert("detailType".into(), value.clone());
                }
                _ => {
                    out.insert(key.clone(), value.clone());
                }
            }
        }
    }
    Value::Object(out)
}

/// The `<name>` placeholders of a template, in order.
fn placeholders(template: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('<') {
        let after = &rest[open + 1..];
        match after.find('>') {
            Some(close) if is_placeholder_name(&after[..close]) => {
                out.push(&after[..close]);
                rest = &after[close + 1..];
            }
            _ => rest = after,
        }
    }
    out
}

fn is_placeholder_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

/// Fills a template with the module comment's quoting rules.
fn fill(template: &str, lookup: impl Fn(&str) -> Option<Value>) -> Option<String> {
    let json_mode = matches!(template.trim_start().chars().next(), Some('{' | '['));
    let mut out = String::with_capacity(template.len());
    let mut in_string = false;
    let mut escaped = false;
    let mut rest = template;
    while let Some(c) = rest.chars().next() {
        if c == '<' {
            let after = &rest[1..];
            if let Some(close) = after.find('>') {
                let name = &after[..close];
                if is_placeholder_name(name) {
                    let value = lookup(name);
                    splice(&mut out, value, json_mode, in_string);
                    rest = &after[close + 1..];
                    continue;
                }
            }
        }
        if escaped {
            escaped = false;
        } else if c == '\\' && in_string {
            escaped = true;
        } else if c == '"' {
            in_string = !in_string;
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    if json_mode && serde_json::from_str::<Value>(&out).is_err() {
        return None;
    }
    Some(out)
}

fn splice(out: &mut String, value: Option<Value>, json_mode: bool, in_string: bool) {
    match (json_mode, in_string, value) {
        (true, false, None) => out.push_str("\"\""),
        (_, _, None) => {}
        (true, false, Some(v)) => out.push_str(&v.to_string()),
        (true, true, Some(Value::String(s))) => {
            let quoted = Value::String(s).to_string();
            out.push_str(&quoted[1..quoted.len() - 1]);
        }
        (true, true, Some(v)) => out.push_str(&v.to_string()),
        (false, _, Some(Value::String(s))) => out.push_str(&s),
        (false, _, Some(v)) => out.push_str(&v.to_string().replace('"', "")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn transformer(map: Value, template: &str) -> InputSpec {
        let t: TransformerIn = serde_json::from_value(json!({
            "InputPathsMap": map, "InputTemplate": template
        }))
        .expect("transformer shape");
        InputSpec::new("t1", None, None, Some(t)).expect("valid transformer")
    }

    fn render(spec: &InputSpec, event: &Value) -> Option<String> {
        let ctx = MatchContext {
            rule_arn: "arn:aws:events:us-east-1:000000000000:rule/r",
            rule_name: "r",
            ingestion_time: "2024-01-01T00:00:00Z",
        };
        spec.render(event, &ctx)
    }

    #[test]
    fn json_templates_splice_json_and_text_templates_splice_text() {
        let event = json!({"detail": {"p": {"a": "x", "b": 1}, "l": ["H", "L"], "s": "q\"uote"}});
        let map =
            json!({"p": "$.detail.p", "l": "$.detail.l", "s": "$.detail.s", "m": "$.detail.none"});
        let spec = transformer(map.clone(), r#"{"p": <p>, "s": "<s>!", "m": <m>}"#);
        let body: Value = serde_json::from_str(&render(&spec, &event).unwrap()).unwrap();
        assert_eq!(
            body,
            json!({"p": {"a": "x", "b": 1}, "s": "q\"uote!", "m": ""})
        );
        let spec = transformer(map.clone(), r#""<p> and <l> and <m>.""#);
        assert_eq!(
            render(&spec, &event).unwrap(),
            r#""{a:x,b:1} and [H,L] and .""#
        );
        let spec = transformer(map, r#"{"bad": "<p>"}"#);
        assert_eq!(render(&spec, &event), None, "object inside quotes drops");
    }

    #[test]
    fn undeclared_placeholders_are_refused() {
        let t: TransformerIn =
            serde_json::from_value(json!({"InputTemplate": "\"<nope>\""})).unwrap();
        let err = InputSpec::new("t1", None, None, Some(t)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "InputTemplate for target t1 contains invalid placeholder nope."
        );
    }
}
