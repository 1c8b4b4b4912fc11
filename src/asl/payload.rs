//! Payload templates: `Parameters`, `ResultSelector`, `ItemSelector` and Map `Parameters`
//! (JSONPath; a JSONata state's fields are `compiled::JsonataTemplate`s).
//!
//! A template is JSON copied as written, except that a key ending in `.$` takes its value from
//! evaluating the string it maps to (a path into the input, `$$.` into the context object,
//! `$name` into a variable, or an intrinsic call) and loses the `.$`. Templates compile once
//! ([`Template::compile`]); evaluation ([`Template::eval`]) never panics.

use serde_json::{Map, Value};

use super::errors::StatesError;
use super::intrinsics::{self, Call};
use super::jsonpath::{JsonPath, Scope};

/// A compiled payload template.
#[derive(Debug, Clone, PartialEq)]
pub struct Template(Node);

#[derive(Debug, Clone, PartialEq)]
enum Node {
    Literal(Value),
    Object(Vec<(String, Node)>),
    Array(Vec<Node>),
    /// `"key.$": "$.path"`; `field` is the key as written (with `.$`), for error messages.
    Path {
        field: String,
        path: JsonPath,
    },
    Intrinsic {
        field: String,
        call: Call,
    },
}

/// Why a template does not compile: the `.$` key and what is wrong with its value. This is a
/// definition error (AWS rejects it at CreateStateMachine); at run time it becomes a
/// `States.Runtime` failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateError {
    pub field: String,
    pub message: String,
}

impl std::fmt::Display for TemplateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

impl std::error::Error for TemplateError {}

impl Template {
    pub fn compile(template: &Value) -> Result<Template, TemplateError> {
        compile(template).map(Template)
    }

    pub fn eval(&self, scope: &Scope) -> Result<Value, StatesError> {
        eval(&self.0, scope)
    }
}

/// Compiles and evaluates in one go (the tests' shorthand; the interpreter keeps compiled
/// templates).
#[cfg(test)]
fn evaluate(template: &Value, scope: &Scope) -> Result<Value, StatesError> {
    Template::compile(template)
        .map_err(|e| StatesError::runtime(e.to_string()))?
        .eval(scope)
}

fn compile(v: &Value) -> Result<Node, TemplateError> {
    Ok(match v {
        Value::Object(o) => {
            let mut fields = Vec::with_capacity(o.len());
            for (key, value) in o {
                match key.strip_suffix(".$") {
                    Some(name) => fields.push((name.to_string(), compile_dynamic(key, value)?)),
                    None => fields.push((key.clone(), compile(value)?)),
                }
            }
            Node::Object(fields)
        }
        Value::Array(a) => Node::Array(a.iter().map(compile).collect::<Result<_, _>>()?),
        other => Node::Literal(other.clone()),
    })
}

fn compile_dynamic(key: &str, value: &Value) -> Result<Node, TemplateError> {
    let err = |message: String| TemplateError {
        field: key.to_string(),
        message,
    };
    let Value::String(text) = value else {
        return Err(err(format!(
            "The value for the field '{key}' must be a STRING that contains a JSONPath but was {}",
            type_word(value)
        )));
    };
    if intrinsics::is_intrinsic(text) {
        let call = intrinsics::parse(text).map_err(|e| err(e.0))?;
        return Ok(Node::Intrinsic {
            field: key.to_string(),
            call,
        });
    }
    let path = JsonPath::parse(text).map_err(|e| err(e.0))?;
    Ok(Node::Path {
        field: key.to_string(),
        path,
    })
}

fn type_word(v: &Value) -> &'static str {
    match v {
        Value::Null => "a NULL",
        Value::Bool(_) => "a BOOLEAN",
        Value::Number(_) => "a NUMBER",
        Value::String(_) => "a STRING",
        Value::Array(_) => "an ARRAY",
        Value::Object(_) => "an OBJECT",
    }
}

fn eval(node: &Node, scope: &Scope) -> Result<Value, StatesError> {
    Ok(match node {
        Node::Literal(v) => v.clone(),
        Node::Object(fields) => {
            let mut out = Map::with_capacity(fields.len());
            for (name, child) in fields {
                out.insert(name.clone(), eval(child, scope)?);
            }
            Value::Object(out)
        }
        Node::Array(items) => Value::Array(
            items
                .iter()
                .map(|n| eval(n, scope))
                .collect::<Result<_, _>>()?,
        ),
        Node::Path { field, path } => path.select_for_field(scope, field)?,
        Node::Intrinsic { field, call } => call.eval(scope, field)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(input: Value, template: Value) -> Result<Value, StatesError> {
        let ctx = json!({
            "Execution": {"Name": "e"},
            "State": {"Name": "S"},
            "Map": {"Item": {"Index": 2, "Value": {"id": 9}}},
        });
        let vars = json!({"x": {"y": 7}});
        let vars = vars.as_object().cloned().unwrap_or_default();
        evaluate(&template, &Scope::new(&input, &ctx).with_variables(&vars))
    }

    fn give(input: Value, template: Value, expected: Value) {
        assert_eq!(run(input, template.clone()), Ok(expected), "{template}");
    }

    #[test]
    fn copies_literals_and_evaluates_dollar_keys() {
        give(
            json!({}),
            json!({"item.$": "$$.Map.Item.Value", "index.$": "$$.Map.Item.Index"}),
            json!({"item": {"id": 9}, "index": 2}),
        );
        give(
            json!({}),
            json!({"a": 1, "b": [true, null]}),
            json!({"a": 1, "b": [true, null]}),
        );
        give(json!({"v": 3}), json!({"a.$": "$.v"}), json!({"a": 3}));
        give(
            json!({"v": 3}),
            json!({"all.$": "$"}),
            json!({"all": {"v": 3}}),
        );
        give(
            json!({}),
            json!({"n.$": "$$.State.Name"}),
            json!({"n": "S"}),
        );
        give(json!({}), json!({"n.$": "$x.y"}), json!({"n": 7}));
        give(
            json!({"v": [1, 2]}),
            json!({"n.$": "States.ArrayLength($.v)"}),
            json!({"n": 2}),
        );
        give(
            json!({"v": 1}),
            json!({"outer": {"inner.$": "$.v", "k": "lit"}}),
            json!({"outer": {"inner": 1, "k": "lit"}}),
        );
        give(
            json!({"v": 1}),
            json!([{"a.$": "$.v"}, 2]),
            json!([{"a": 1}, 2]),
        );
        give(
            json!({"v": 1}),
            json!({"list": [{"a.$": "$.v"}]}),
            json!({"list": [{"a": 1}]}),
        );
        give(
            json!({"v": 1}),
            json!("just a string"),
            json!("just a string"),
        );
        give(
            json!({"v": 1}),
            json!({"x.$y": "$.v"}),
            json!({"x.$y": "$.v"}),
        );
        give(
            json!({"items": [1, 2]}),
            json!({"all.$": "$.items[*]"}),
            json!({"all": [1, 2]}),
        );
        give(
            json!({}),
            json!({"none.$": "$.items[*]"}),
            json!({"none": []}),
        );
    }

    #[test]
    fn key_order_is_kept() {
        let out = run(json!({"v": 0}), json!({"z": 1, "a.$": "$.v", "m": 2})).unwrap_or_default();
        let keys: Vec<&String> = out
            .as_object()
            .map(|o| o.keys().collect())
            .unwrap_or_default();
        assert_eq!(keys, ["z", "a", "m"]);
    }

    #[test]
    fn missing_path_names_the_field() {
        let err = run(
            json!({"int-literal": 0}),
            json!({"value.$": "$.no_such_jsonpath"}),
        )
        .expect_err("path misses");
        assert_eq!(err.error, "States.Runtime");
        assert_eq!(
            err.cause,
            "The JSONPath '$.no_such_jsonpath' specified for the field 'value.$' could not be found in the input '{\"int-literal\":0}'"
        );
        let err = run(
            json!({}),
            json!({"deep": {"value.$": "$$.Execution.Input.x"}}),
        )
        .expect_err("context path misses");
        assert_eq!(
            err.cause,
            "The JSONPath '$$.Execution.Input.x' specified for the field 'value.$' could not be found in the input '{}'"
        );
    }

    #[test]
    fn bad_dollar_values_do_not_compile() {
        for bad in [
            json!({"a.$": 1}),
            json!({"a.$": null}),
            json!({"a.$": {"b": 1}}),
            json!({"a.$": "not a path"}),
            json!({"a.$": "States.Nope()"}),
            json!({"ok": {"a.$": ["$"]}}),
        ] {
            let err = Template::compile(&bad).expect_err("should not compile");
            assert!(err.field.ends_with(".$"), "{err}");
        }
        let err = Template::compile(&json!({"a.$": 5})).expect_err("number");
        assert_eq!(
            err.message,
            "The value for the field 'a.$' must be a STRING that contains a JSONPath but was a NUMBER"
        );
    }

    #[test]
    fn intrinsic_failures_propagate() {
        let err = run(
            json!({}),
            json!({"a.$": "States.ArrayGetItem(States.Array(1), 5)"}),
        )
        .expect_err("out of bounds");
        assert_eq!(err.error, "States.IntrinsicFailure");
    }
}
