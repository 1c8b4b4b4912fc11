//! Step Functions' JSONPath: the Jayway dialect AWS runs, not RFC 9535.
//!
//! A path is compiled once ([`JsonPath::parse`]) and evaluated against a [`Scope`]: `$...` reads
//! the state input, `$$...` the context object, `$name...` a variable. The result follows AWS:
//! a *definite* path (only `.name`, `['name']` and `[index]` steps) yields its single value or
//! fails; an *indefinite* path (`*`, `..`, slices, filters, unions) always yields an array, `[]`
//! when nothing matches. A trailing `.length()` yields the size of what precedes it.
//!
//! [`insert`] is the ResultPath half: it writes a result into the input at a reference path.

use std::borrow::Cow;

use serde_json::{Map, Value};

use super::errors::StatesError;

mod parse;
mod result_path;

use parse::Parser;
pub use result_path::{insert, insert_at};

/// What a path can read: the state input (`$`), the context object (`$$`) and the variables in
/// scope (`$name`).
#[derive(Debug, Clone, Copy)]
pub struct Scope<'a> {
    pub input: &'a Value,
    pub context: &'a Value,
    pub variables: Option<&'a Map<String, Value>>,
}

impl<'a> Scope<'a> {
    pub fn new(input: &'a Value, context: &'a Value) -> Self {
        Scope {
            input,
            context,
            variables: None,
        }
    }

    pub fn with_variables(mut self, variables: &'a Map<String, Value>) -> Self {
        self.variables = Some(variables);
        self
    }
}

/// Where a path starts.
#[derive(Debug, Clone, PartialEq)]
pub enum Root {
    Input,
    Context,
    Variable(String),
}

/// A compiled path.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonPath {
    text: String,
    root: Root,
    steps: Vec<Step>,
    length: bool,
}

#[derive(Debug, Clone, PartialEq)]
enum Step {
    Child(Selector),
    Descendant(Selector),
}

#[derive(Debug, Clone, PartialEq)]
enum Selector {
    Name(String),
    Names(Vec<String>),
    Wildcard,
    Index(i64),
    Indexes(Vec<i64>),
    Slice(Option<i64>, Option<i64>),
    Filter(Box<Filter>),
}

#[derive(Debug, Clone, PartialEq)]
enum Filter {
    Or(Box<Filter>, Box<Filter>),
    And(Box<Filter>, Box<Filter>),
    Not(Box<Filter>),
    Exists(Operand),
    Compare(Operand, CmpOp, Operand),
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Debug, Clone, PartialEq)]
enum Operand {
    /// `@...` (relative to the element) or `$...` (relative to the document root).
    Path {
        current: bool,
        steps: Vec<Step>,
    },
    Literal(Value),
}

/// A syntax error in a path, with a message saying what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathSyntaxError(pub String);

impl std::fmt::Display for PathSyntaxError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for PathSyntaxError {}

/// Why a definite path found nothing, in Jayway's words (`No results for path: $['a']`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotFound(pub String);

impl JsonPath {
    /// `$`: the whole input.
    pub fn whole_input() -> JsonPath {
        JsonPath {
            text: "$".into(),
            root: Root::Input,
            steps: Vec::new(),
            length: false,
        }
    }

    pub fn parse(text: &str) -> Result<JsonPath, PathSyntaxError> {
        let mut p = Parser::new(text);
        let root = p.root()?;
        let mut steps = p.steps(false)?;
        let mut length = false;
        if p.eat_str(".length()") {
            length = true;
        }
        p.skip_ws();
        if !p.at_end() {
            return Err(p.error("unexpected character"));
        }
        // `$.a.length` written without parentheses is a property named `length`.
        if let Some(Step::Child(Selector::Name(n))) = steps.last() {
            if n == "length()" {
                steps.pop();
                length = true;
            }
        }
        Ok(JsonPath {
            text: text.to_string(),
            root,
            steps,
            length,
        })
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn root(&self) -> &Root {
        &self.root
    }

    /// A definite path names at most one node: only names and single indexes.
    pub fn is_definite(&self) -> bool {
        steps_definite(&self.steps)
    }

    /// A reference path (ResultPath, and what `insert` accepts): definite, no `.length()`.
    pub fn is_reference(&self) -> bool {
        self.is_definite() && !self.length
    }

    /// Evaluates the path. `Err` only for a definite path that matches nothing (or a
    /// `.length()` of something without a length).
    pub fn eval(&self, scope: &Scope) -> Result<Value, NotFound> {
        self.lookup(scope).map(Cow::into_owned)
    }

    /// [`eval`](Self::eval) without copying: a definite path borrows the node it names (what
    /// Choice rules and `...Path` fields want), an indefinite one builds its array.
    pub fn lookup<'v>(&self, scope: &Scope<'v>) -> Result<Cow<'v, Value>, NotFound> {
        let doc: &'v Value = match &self.root {
            Root::Input => scope.input,
            Root::Context => scope.context,
            Root::Variable(name) => match scope.variables.and_then(|v| v.get(name)) {
                Some(v) => v,
                None => return Err(NotFound(format!("No such variable: ${name}"))),
            },
        };
        let value: Cow<'v, Value> = if self.is_definite() {
            Cow::Borrowed(definite_lookup(doc, &self.steps)?)
        } else {
            let mut out = Vec::new();
            collect(&self.steps, doc, doc, &mut out);
            Cow::Owned(Value::Array(out.into_iter().cloned().collect()))
        };
        if !self.length {
            return Ok(value);
        }
        let len = match value.as_ref() {
            Value::Array(a) => a.len(),
            Value::Object(o) => o.len(),
            Value::String(s) => s.chars().count(),
            other => {
                return Err(NotFound(format!(
                    "Function of type: length cannot be applied to {}",
                    type_name(other)
                )))
            }
        };
        Ok(Cow::Owned(Value::from(len)))
    }

    /// Evaluates for a payload template field or an `...Path` field of Fail, Map etc.: the
    /// miss reads "The JSONPath '$.x' specified for the field 'F' could not be found in the
    /// input '{...}'".
    pub fn select_for_field(&self, scope: &Scope, field: &str) -> Result<Value, StatesError> {
        self.eval(scope)
            .map_err(|_| not_found_for_field(&self.text, field, scope.input))
    }

    /// Evaluates for InputPath, OutputPath, ItemsPath, TimeoutSecondsPath ...: the miss reads
    /// "Invalid path '$.x' : No results for path: $['x']".
    pub fn select_invalid_path(&self, scope: &Scope) -> Result<Value, StatesError> {
        self.eval(scope)
            .map_err(|NotFound(detail)| invalid_path(&self.text, &detail))
    }
}

/// The cause AWS gives when a payload template's path matches nothing.
pub fn not_found_for_field(path: &str, field: &str, input: &Value) -> StatesError {
    StatesError::runtime(format!(
        "The JSONPath '{path}' specified for the field '{field}' could not be found in the input '{}'",
        compact(input)
    ))
}

fn invalid_path(path: &str, detail: &str) -> StatesError {
    StatesError::runtime(format!("Invalid path '{path}' : {detail}"))
}

/// Compiles and evaluates `path` in one go, with the `Invalid path` style of error (what
/// InputPath and OutputPath report). A path that does not compile is a `States.Runtime` too.
pub fn select(path: &str, scope: &Scope) -> Result<Value, StatesError> {
    let compiled = JsonPath::parse(path).map_err(|e| invalid_path(path, &e.0))?;
    compiled.select_invalid_path(scope)
}

pub(crate) fn compact(v: &Value) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

/// JSON type names as AWS's messages spell them.
pub(crate) fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn steps_definite(steps: &[Step]) -> bool {
    steps.iter().all(|s| {
        matches!(
            s,
            Step::Child(Selector::Name(_)) | Step::Child(Selector::Index(_))
        )
    })
}

fn bracket(sel: &Selector) -> String {
    match sel {
        Selector::Name(n) => format!("['{n}']"),
        Selector::Index(i) => format!("[{i}]"),
        _ => String::new(),
    }
}

fn array_index(len: usize, i: i64) -> Option<usize> {
    let idx = if i < 0 { len as i64 + i } else { i };
    if idx >= 0 && (idx as u64) < len as u64 {
        Some(idx as usize)
    } else {
        None
    }
}

/// Walks a definite path; on a miss reports Jayway's detail: a missing property before the
/// last step is "Missing property in path $['a']", anything else "No results for path: ...".
fn definite_lookup<'v>(doc: &'v Value, steps: &[Step]) -> Result<&'v Value, NotFound> {
    let mut cur = doc;
    let mut walked = String::from("$");
    let full: String = std::iter::once("$".to_string())
        .chain(steps.iter().map(|s| match s {
            Step::Child(sel) | Step::Descendant(sel) => bracket(sel),
        }))
        .collect();
    for (i, step) in steps.iter().enumerate() {
        let last = i + 1 == steps.len();
        let Step::Child(sel) = step else {
            return Err(NotFound(format!("No results for path: {full}")));
        };
        walked.push_str(&bracket(sel));
        let next = match (sel, cur) {
            (Selector::Name(n), Value::Object(o)) => match o.get(n) {
                Some(v) => Some(v),
                None if !last => {
                    return Err(NotFound(format!("Missing property in path {walked}")));
                }
                None => None,
            },
            (Selector::Index(idx), Value::Array(a)) => array_index(a.len(), *idx).map(|k| &a[k]),
            _ => None,
        };
        match next {
            Some(v) => cur = v,
            None => return Err(NotFound(format!("No results for path: {full}"))),
        }
    }
    Ok(cur)
}

/// Collects every match of `steps` under `cur` (indefinite evaluation, document order).
fn collect<'v>(steps: &[Step], cur: &'v Value, root: &'v Value, out: &mut Vec<&'v Value>) {
    let Some((step, rest)) = steps.split_first() else {
        out.push(cur);
        return;
    };
    match step {
        Step::Child(sel) => {
            let mut hits = Vec::new();
            select_children(sel, cur, root, &mut hits);
            for h in hits {
                collect(rest, h, root, out);
            }
        }
        Step::Descendant(sel) => {
            let mut nodes = Vec::new();
            descendants(cur, &mut nodes);
            for node in nodes {
                let mut hits = Vec::new();
                match sel {
                    // `$..[?(...)]` tests every object once (as Jayway does), rather than
                    // each array's elements and then the same objects again on their own.
                    Selector::Filter(f) => {
                        if node.is_object() && filter_matches(f, node, root) {
                            hits.push(node);
                        }
                    }
                    _ => select_children(sel, node, root, &mut hits),
                }
                for h in hits {
                    collect(rest, h, root, out);
                }
            }
        }
    }
}

/// `cur` and every node below it, pre-order.
fn descendants<'v>(cur: &'v Value, out: &mut Vec<&'v Value>) {
    out.push(cur);
    match cur {
        Value::Object(o) => o.values().for_each(|v| descendants(v, out)),
        Value::Array(a) => a.iter().for_each(|v| descendants(v, out)),
        _ => {}
    }
}

fn select_children<'v>(sel: &Selector, cur: &'v Value, root: &'v Value, out: &mut Vec<&'v Value>) {
    match (sel, cur) {
        (Selector::Name(n), Value::Object(o)) => out.extend(o.get(n)),
        (Selector::Names(ns), Value::Object(o)) => out.extend(ns.iter().filter_map(|n| o.get(n))),
        (Selector::Wildcard, Value::Object(o)) => out.extend(o.values()),
        (Selector::Wildcard, Value::Array(a)) => out.extend(a.iter()),
        (Selector::Index(i), Value::Array(a)) => {
            out.extend(array_index(a.len(), *i).map(|k| &a[k]));
        }
        (Selector::Indexes(is), Value::Array(a)) => {
            out.extend(
                is.iter()
                    .filter_map(|i| array_index(a.len(), *i).map(|k| &a[k])),
            );
        }
        (Selector::Slice(from, to), Value::Array(a)) => {
            let len = a.len() as i64;
            let norm = |i: i64| if i < 0 { (len + i).max(0) } else { i.min(len) };
            let start = from.map(norm).unwrap_or(0);
            let end = to.map(norm).unwrap_or(len);
            if start < end {
                out.extend(a[start as usize..end as usize].iter());
            }
        }
        (Selector::Filter(f), Value::Array(a)) => {
            out.extend(a.iter().filter(|item| filter_matches(f, item, root)));
        }
        (Selector::Filter(f), Value::Object(_)) if filter_matches(f, cur, root) => {
            out.push(cur);
        }
        _ => {}
    }
}

fn operand_value(op: &Operand, item: &Value, root: &Value) -> Option<Value> {
    match op {
        Operand::Literal(v) => Some(v.clone()),
        Operand::Path { current, steps } => {
            let start = if *current { item } else { root };
            if steps_definite(steps) {
                definite_lookup(start, steps).ok().cloned()
            } else {
                let mut out = Vec::new();
                collect(steps, start, root, &mut out);
                Some(Value::Array(out.into_iter().cloned().collect()))
            }
        }
    }
}

fn filter_matches(f: &Filter, item: &Value, root: &Value) -> bool {
    match f {
        Filter::Or(a, b) => filter_matches(a, item, root) || filter_matches(b, item, root),
        Filter::And(a, b) => filter_matches(a, item, root) && filter_matches(b, item, root),
        Filter::Not(a) => !filter_matches(a, item, root),
        Filter::Exists(op) => match operand_value(op, item, root) {
            Some(Value::Bool(b)) if matches!(op, Operand::Literal(_)) => b,
            Some(_) => true,
            None => false,
        },
        Filter::Compare(l, op, r) => {
            let (Some(l), Some(r)) = (operand_value(l, item, root), operand_value(r, item, root))
            else {
                return *op == CmpOp::Ne;
            };
            compare(&l, *op, &r)
        }
    }
}

fn compare(l: &Value, op: CmpOp, r: &Value) -> bool {
    use std::cmp::Ordering;
    let ord: Option<Ordering> = match (l, r) {
        (Value::Number(a), Value::Number(b)) => match (a.as_f64(), b.as_f64()) {
            (Some(a), Some(b)) => a.partial_cmp(&b),
            _ => None,
        },
        (Value::String(a), Value::String(b)) => Some(a.cmp(b)),
        (a, b) if a == b => Some(Ordering::Equal),
        _ => None,
    };
    match op {
        CmpOp::Eq => ord == Some(Ordering::Equal),
        CmpOp::Ne => ord != Some(Ordering::Equal),
        CmpOp::Lt => ord == Some(Ordering::Less),
        CmpOp::Le => matches!(ord, Some(Ordering::Less | Ordering::Equal)),
        CmpOp::Gt => ord == Some(Ordering::Greater),
        CmpOp::Ge => matches!(ord, Some(Ordering::Greater | Ordering::Equal)),
    }
}

#[cfg(test)]
mod tests;
