//! Runtime values. JSONata needs more than JSON: functions are values, arrays carry flags
//! (a *sequence* produced by a path is unwrapped when it holds one item, unless a `[]` asked to
//! keep it; an array built by a constructor is never flattened into a path's result), and a
//! path with `@`/`#`/`%` bindings flows as a stream of tuples. "Undefined" is `Option::None`.
//!
//! The variable scopes (`Frame`) are here too: a lambda value holds the scope it closed over,
//! and a scope holds values, so the two are one knot of types. Native functions see the
//! evaluation calling them only through [`Caller`], which keeps the standard library below
//! the evaluator.

use super::ast::{Node, TransformNodes};
use super::error::Result;
use super::signature::Signature;
use indexmap::IndexMap;
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;

pub type Map = IndexMap<String, Val>;
pub type Opt = Option<Val>;

#[derive(Clone)]
pub enum Val {
    Null,
    Bool(bool),
    Num(f64),
    Str(Rc<str>),
    Arr(Rc<Arr>),
    Obj(Rc<Map>),
    Func(Rc<Func>),
    /// Only inside a path: each item carries the context `@` and the names bound so far.
    Tuples(Rc<Vec<Tuple>>),
}

#[derive(Clone, Default)]
pub struct Arr {
    pub items: Vec<Val>,
    /// A result sequence (unwrapped to its single item at the end of an expression).
    pub seq: bool,
    /// `[]` on a path step: keep a singleton sequence as an array.
    pub keep: bool,
    /// Built by an array constructor: a path does not flatten it.
    pub cons: bool,
    /// The top-level input array, wrapped in a sequence so paths see it as one value.
    pub outer: bool,
}

#[derive(Clone)]
pub struct Tuple {
    pub at: Opt,
    pub binds: Vec<(Rc<str>, Val)>,
}

impl Tuple {
    pub fn get(&self, name: &str) -> Option<&Val> {
        self.binds
            .iter()
            .rev()
            .find(|(n, _)| &**n == name)
            .map(|(_, v)| v)
    }
    pub fn set(&mut self, name: &str, v: Val) {
        if let Some(slot) = self.binds.iter_mut().find(|(n, _)| &**n == name) {
            slot.1 = v;
        } else {
            self.binds.push((Rc::from(name), v));
        }
    }
}

/// What a native function may ask of the evaluation that calls it.
pub trait Caller {
    /// Calls a function value (`pos` locates errors in the expression).
    fn apply(&self, f: &Val, args: Vec<Opt>, input: &Opt, env: &Env, pos: usize) -> Result<Opt>;
    /// What `$now()` and `$millis()` report for this evaluation, in ms since the epoch.
    fn now_millis(&self) -> i64;
    /// `$eval`: parses `src` and evaluates it against `focus` in `env`, within this
    /// evaluation's bindings and limits.
    fn eval_text(&self, src: &str, focus: &Opt, env: &Env) -> Result<Opt>;
}

pub type NativeImpl = fn(&dyn Caller, &[Opt], &Opt, &Env) -> Result<Opt>;

/// A native function over JSON values: arguments in (undefined = `None`), result out.
pub type HostFn =
    dyn Fn(&[Option<serde_json::Value>]) -> Result<Option<serde_json::Value>> + Send + Sync;

/// A function the embedder registered in `Bindings`.
pub struct HostFunction {
    pub name: String,
    pub arity: usize,
    pub imp: Box<HostFn>,
}

pub enum Func {
    Lambda {
        params: Arc<Vec<String>>,
        body: Arc<Node>,
        sig: Option<Arc<Signature>>,
        env: Env,
        input: Opt,
        /// A tail call wrapped for the trampoline in `apply`.
        thunk: bool,
    },
    Native {
        sig: Arc<Signature>,
        imp: NativeImpl,
    },
    /// A host function from `Bindings`, over plain JSON.
    Host(Arc<HostFunction>),
    /// Partial application: `None` marks a `?` placeholder.
    Partial { f: Val, args: Vec<Option<Opt>> },
    /// A regex literal used as a function: `str -> match object`.
    Regex(Arc<regex_lite::Regex>),
    /// `|pattern|update,delete|` as a function of the object to transform.
    Transform { t: Arc<TransformNodes>, env: Env },
    /// The `next()` of a regex match object.
    RegexNext {
        re: Arc<regex_lite::Regex>,
        text: Rc<str>,
        from: usize,
    },
    /// `$f ~> $g`: a composed function.
    Chain(Val, Val),
}

impl Func {
    pub fn arity(&self) -> usize {
        match self {
            Func::Lambda { params, .. } => params.len(),
            Func::Native { sig, .. } => sig.arity(),
            Func::Host(h) => h.arity,
            Func::Partial { args, .. } => args.iter().filter(|a| a.is_none()).count(),
            Func::Regex(_) => 1,
            Func::RegexNext { .. } => 0,
            Func::Chain(..) => 1,
            Func::Transform { .. } => 1,
        }
    }
}

impl Val {
    pub fn str(s: &str) -> Val {
        Val::Str(Rc::from(s))
    }
    pub fn string(s: String) -> Val {
        Val::Str(Rc::from(s))
    }
    pub fn array(items: Vec<Val>) -> Val {
        Val::Arr(Rc::new(Arr {
            items,
            ..Arr::default()
        }))
    }
    pub fn seq(items: Vec<Val>) -> Val {
        Val::Arr(Rc::new(Arr {
            items,
            seq: true,
            ..Arr::default()
        }))
    }
    pub fn object(m: Map) -> Val {
        Val::Obj(Rc::new(m))
    }
    pub fn as_num(&self) -> Option<f64> {
        match self {
            Val::Num(n) => Some(*n),
            _ => None,
        }
    }
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Val::Str(s) => Some(s),
            _ => None,
        }
    }

    /// Items of an array, or the value itself as a one-item slice.
    pub fn items(&self) -> Vec<Val> {
        match self {
            Val::Arr(a) => a.items.clone(),
            v => vec![v.clone()],
        }
    }

    pub fn from_json(v: &serde_json::Value) -> Val {
        match v {
            serde_json::Value::Null => Val::Null,
            serde_json::Value::Bool(b) => Val::Bool(*b),
            serde_json::Value::Number(n) => Val::Num(n.as_f64().unwrap_or(0.0)),
            serde_json::Value::String(s) => Val::str(s),
            serde_json::Value::Array(a) => Val::array(a.iter().map(Val::from_json).collect()),
            serde_json::Value::Object(o) => Val::object(
                o.iter()
                    .map(|(k, v)| (k.clone(), Val::from_json(v)))
                    .collect(),
            ),
        }
    }

    /// JSON out: functions become `""` (as JSON.stringify with JSONata's replacer does) and
    /// integral numbers become JSON integers.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Val::Null => serde_json::Value::Null,
            Val::Bool(b) => serde_json::Value::Bool(*b),
            Val::Num(n) => num_to_json(*n),
            Val::Str(s) => serde_json::Value::String(s.to_string()),
            Val::Arr(a) => serde_json::Value::Array(a.items.iter().map(Val::to_json).collect()),
            Val::Obj(o) => {
                serde_json::Value::Object(o.iter().map(|(k, v)| (k.clone(), v.to_json())).collect())
            }
            Val::Func(_) => serde_json::Value::String(String::new()),
            Val::Tuples(t) => serde_json::Value::Array(
                t.iter()
                    .filter_map(|t| t.at.as_ref().map(Val::to_json))
                    .collect(),
            ),
        }
    }
}

pub fn num_to_json(n: f64) -> serde_json::Value {
    if n.fract() == 0.0 && n.abs() < 9.007_199_254_740_992e15 {
        serde_json::Value::from(n as i64)
    } else {
        serde_json::Number::from_f64(n)
            .map(serde_json::Value::Number)
            .unwrap_or(serde_json::Value::Null)
    }
}

/// Deep equality as JSONata's `=` and `$distinct` use it.
pub fn deep_equal(a: &Val, b: &Val) -> bool {
    match (a, b) {
        (Val::Null, Val::Null) => true,
        (Val::Bool(x), Val::Bool(y)) => x == y,
        (Val::Num(x), Val::Num(y)) => x == y,
        (Val::Str(x), Val::Str(y)) => x == y,
        (Val::Arr(x), Val::Arr(y)) => {
            x.items.len() == y.items.len()
                && x.items
                    .iter()
                    .zip(y.items.iter())
                    .all(|(p, q)| deep_equal(p, q))
        }
        (Val::Obj(x), Val::Obj(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| deep_equal(v, w)))
        }
        (Val::Func(x), Val::Func(y)) => Rc::ptr_eq(x, y),
        _ => false,
    }
}

/// JavaScript's Number.prototype.toString for finite numbers: shortest round-trip digits,
/// exponent form from 1e21 up and below 1e-6.
pub fn js_number(n: f64) -> String {
    if n == 0.0 {
        return "0".to_string();
    }
    if !n.is_finite() {
        return if n.is_nan() {
            "NaN".into()
        } else if n > 0.0 {
            "Infinity".into()
        } else {
            "-Infinity".into()
        };
    }
    let e = format!("{:e}", n);
    let (mant, exp) = e.split_once('e').unwrap_or((&e, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let neg = mant.starts_with('-');
    let digits: String = mant.chars().filter(|c| c.is_ascii_digit()).collect();
    let k = digits.len() as i32;
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    let nexp = exp + 1; // position of the decimal point relative to the digits
    if k <= nexp && nexp <= 21 {
        out.push_str(&digits);
        out.extend(std::iter::repeat_n('0', (nexp - k) as usize));
    } else if 0 < nexp && nexp <= 21 {
        out.push_str(&digits[..nexp as usize]);
        out.push('.');
        out.push_str(&digits[nexp as usize..]);
    } else if -6 < nexp && nexp <= 0 {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', (-nexp) as usize));
        out.push_str(&digits);
    } else {
        out.push_str(&digits[..1]);
        if k > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        out.push('e');
        out.push(if nexp > 0 { '+' } else { '-' });
        out.push_str(&(nexp - 1).abs().to_string());
    }
    out
}

/// `Number(n.toPrecision(15))`: JSONata rounds to 15 significant digits before printing.
pub fn to_precision15(n: f64) -> f64 {
    if n == 0.0 || !n.is_finite() {
        return n;
    }
    format!("{:.14e}", n).parse().unwrap_or(n)
}

/// Variable scopes. A frame holds the names bound in one block, lambda call or tuple; lookups
/// walk outwards; a name bound to undefined hides the outer one, as in JSONata.
pub struct Frame {
    vars: RefCell<Vec<(Rc<str>, Option<Val>)>>,
    parent: Option<Env>,
}

pub type Env = Rc<Frame>;

impl Frame {
    pub fn root() -> Env {
        Rc::new(Frame {
            vars: RefCell::new(Vec::new()),
            parent: None,
        })
    }

    pub fn child(parent: &Env) -> Env {
        Rc::new(Frame {
            vars: RefCell::new(Vec::new()),
            parent: Some(parent.clone()),
        })
    }

    pub fn bind(&self, name: &str, v: Val) {
        self.bind_opt(name, Some(v));
    }

    /// Binding undefined hides an outer variable of the same name.
    pub fn bind_opt(&self, name: &str, v: Option<Val>) {
        let mut vars = self.vars.borrow_mut();
        if let Some(slot) = vars.iter_mut().find(|(n, _)| &**n == name) {
            slot.1 = v;
        } else {
            vars.push((Rc::from(name), v));
        }
    }

    pub fn lookup(&self, name: &str) -> Option<Val> {
        let mut f = self;
        loop {
            if let Some((_, v)) = f.vars.borrow().iter().find(|(n, _)| &**n == name) {
                return v.clone();
            }
            match &f.parent {
                Some(p) => f = p,
                None => return None,
            }
        }
    }

    /// Drops the bindings: breaks the cycle a lambda bound in its own scope makes.
    pub fn clear(&self) {
        self.vars.borrow_mut().clear();
    }
}
