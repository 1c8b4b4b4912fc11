//! JSONata, the query language of Step Functions' `QueryLanguage: JSONata`: a lexer, a Pratt
//! parser to a tree (`parser`, `process`), and an evaluator over JSON values with JSONata's
//! semantics (`eval`) and its standard library (`functions`). An `Expression` is parsed once
//! and evaluated many times; every evaluation is bounded in depth, time and native stack.
//! Step Functions' own functions (`$partition`, `$uuid`, ...) live in `functions/sfn.rs` and
//! are made visible with [`Bindings::step_functions`].
//!
//! A crate of its own (see its README): it needs nothing of the emulator. What an embedder
//! supplies comes in through small hooks: host functions, variables and the clock in
//! [`Bindings`], and where heavy evaluations run ([`Expression::run_off_workers`]).

mod arguments;
mod ast;
mod error;
mod eval;
mod functions;
mod lexer;
mod parser;
mod process;
mod sequence;
mod signature;
mod value;

pub use error::JsonataError;
pub use value::{HostFn, HostFunction};

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// What an evaluation produced: nothing, a function, or JSON data.
#[derive(Debug, Clone, PartialEq)]
pub enum Returned {
    Undefined,
    Function,
    Json(serde_json::Value),
}

/// A parsed expression; immutable, so one can be shared between threads.
pub struct Expression {
    root: ast::Node,
    labels: Vec<String>,
}

/// Where `$now()` and `$millis()` read the time. An embedder with a clock of its own (one that
/// tests can freeze or move) hands it over with [`Bindings::clock`]; it is read once per
/// evaluation, so every `$now()` of one evaluation reports the same instant, as JSONata
/// specifies.
pub trait Clock: Send + Sync {
    /// Milliseconds since the Unix epoch.
    fn now_millis(&self) -> i64;
}

/// A closure is a clock: `Arc::new(|| 1_700_000_000_000)` stands still.
impl<F: Fn() -> i64 + Send + Sync> Clock for F {
    fn now_millis(&self) -> i64 {
        self()
    }
}

/// The clock of evaluations whose bindings name none.
struct SystemClock;

impl Clock for SystemClock {
    fn now_millis(&self) -> i64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0)
    }
}

/// What an evaluation sees besides its input: variables, native functions, the built-ins
/// removed (Step Functions has no `$eval`) and the clock `$now()`/`$millis()` read.
#[derive(Default, Clone)]
pub struct Bindings {
    vars: Vec<(String, serde_json::Value)>,
    functions: HashMap<String, Arc<HostFunction>>,
    removed: Vec<String>,
    clock: Option<Arc<dyn Clock>>,
    /// The Step Functions functions (`step_functions`) are visible.
    sfn_functions: bool,
}

impl Bindings {
    pub fn new() -> Bindings {
        Bindings::default()
    }

    /// Binds `$name` (without the `$`).
    pub fn var(mut self, name: &str, value: serde_json::Value) -> Bindings {
        self.set_var(name, value);
        self
    }

    pub fn set_var(&mut self, name: &str, value: serde_json::Value) {
        self.vars.retain(|(n, _)| n != name);
        self.vars.push((name.to_string(), value));
    }

    /// Registers `$name` as a native function taking `arity` arguments (for higher-order
    /// functions such as `$map`, which pass as many arguments as the function takes).
    pub fn function<F>(mut self, name: &str, arity: usize, f: F) -> Bindings
    where
        F: Fn(&[Option<serde_json::Value>]) -> Result<Option<serde_json::Value>, JsonataError>
            + Send
            + Sync
            + 'static,
    {
        self.functions.insert(
            name.to_string(),
            Arc::new(HostFunction {
                name: name.to_string(),
                arity,
                imp: Box::new(f),
            }),
        );
        self
    }

    /// Makes the functions Step Functions adds to JSONata visible (`$partition`, `$range`,
    /// `$hash`, `$random` with a seed, `$uuid`, `$parse`), and removes `$eval`, as Step
    /// Functions does.
    pub fn step_functions(self) -> Bindings {
        let mut b = self.remove_builtin("eval");
        b.sfn_functions = true;
        b
    }

    /// Makes a built-in function (e.g. `eval`) unavailable: `$eval` is then undefined.
    pub fn remove_builtin(mut self, name: &str) -> Bindings {
        self.removed.push(name.to_string());
        self
    }

    /// The clock `$now()` and `$millis()` read (once per evaluation); without one they read
    /// the system clock.
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Bindings {
        self.clock = Some(clock);
        self
    }

    /// Milliseconds since the epoch by the bindings' clock: what `$now()` reports.
    fn now_millis(&self) -> i64 {
        match &self.clock {
            Some(c) => c.now_millis(),
            None => SystemClock.now_millis(),
        }
    }
}

/// Bounds of one evaluation. `max_depth` counts nested evaluation steps (a recursive function
/// call is a few of them); the native stack an evaluation may use is bounded too, so a deep
/// expression fails with `U1001` rather than overflowing the thread's stack.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_depth: usize,
    pub timeout: Duration,
    /// Units of work (a node evaluated, an item a range allocates) before the evaluation
    /// stops as timed out; `u64::MAX` for no count. See [`Expression::run_off_workers`].
    pub work_budget: u64,
}

/// What an evaluation may do on the async worker that asked for it before it is judged
/// heavy and run again where the embedder's `offload` puts it (see
/// [`Expression::run_off_workers`]): about a millisecond of work. Nearly every expression in
/// a state machine finishes far inside it, and pays nothing.
const INLINE_TIME: Duration = Duration::from_millis(2);
const INLINE_WORK: u64 = 100_000;

/// Native stack an evaluation may use: safe on a 2 MiB thread (tokio's and the test
/// harness's default) with room for the caller. Parsing and the processing pass are held to
/// the same budget, each on its own (they run one after the other): the three are recursive,
/// and a stack overflow aborts the whole process, so text a client sent (`{% ((((... %}`)
/// must meet an error first.
pub(crate) const STACK_BUDGET: usize = 1024 * 1024;

/// The address of a local variable: how deep the stack is now, for [`STACK_BUDGET`].
#[inline(never)]
pub(crate) fn stack_addr() -> usize {
    let marker = 0u8;
    std::ptr::addr_of!(marker) as usize
}

/// The error of a parse or processing pass that would need more than [`STACK_BUDGET`].
pub(crate) fn too_deep(pos: usize) -> JsonataError {
    JsonataError::new(
        "U1001",
        Some(pos),
        "Stack overflow error: the expression is nested too deeply",
    )
}

impl Limits {
    fn stack_budget(&self) -> usize {
        STACK_BUDGET
    }
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_depth: 1000,
            timeout: Duration::from_secs(5),
            work_budget: u64::MAX,
        }
    }
}

impl Expression {
    pub fn parse(src: &str) -> Result<Expression, JsonataError> {
        let (root, labels) = process::compile(src)?;
        Ok(Expression { root, labels })
    }

    pub fn evaluate(
        &self,
        input: Option<&serde_json::Value>,
        bindings: &Bindings,
        limits: Limits,
    ) -> Result<Option<serde_json::Value>, JsonataError> {
        Ok(match self.run(input, bindings, limits)? {
            Returned::Undefined => None,
            Returned::Function => Some(serde_json::Value::String(String::new())),
            Returned::Json(v) => Some(v),
        })
    }

    /// `run`, but an evaluation that turns out heavy does not stall the async worker it was
    /// called on: it first runs with a small budget ([`INLINE_TIME`], [`INLINE_WORK`]); one
    /// that exceeds it is run again from the start, with `limits`, inside `offload` (which
    /// runs the work it is given where it cannot stall the caller's other tasks, e.g. on a
    /// thread taken out of the async pool). Running again is safe because evaluation has no
    /// side effects (`$now()` is fixed per evaluation; `$uuid()` of the abandoned run is never
    /// seen), and the abandoned run cost at most the small budget.
    pub fn run_off_workers<O>(
        &self,
        input: Option<&serde_json::Value>,
        bindings: &Bindings,
        limits: Limits,
        offload: O,
    ) -> Result<Returned, JsonataError>
    where
        O: FnOnce(&dyn Fn() -> Result<Returned, JsonataError>) -> Result<Returned, JsonataError>,
    {
        let inline = Limits {
            timeout: limits.timeout.min(INLINE_TIME),
            work_budget: limits.work_budget.min(INLINE_WORK),
            ..limits
        };
        match self.run(input, bindings, inline) {
            Err(e) if e.is_timeout() => offload(&|| self.run(input, bindings, limits)),
            done => done,
        }
    }

    /// Like `evaluate`, but tells a function result apart (Step Functions refuses one where
    /// it needs data, e.g. a Map's `Items`).
    pub fn run(
        &self,
        input: Option<&serde_json::Value>,
        bindings: &Bindings,
        limits: Limits,
    ) -> Result<Returned, JsonataError> {
        let ctx = eval::Ctx::new(&self.labels, bindings, &limits);
        let env = value::Frame::root();
        let mut input = input.map(value::Val::from_json);
        if let Some(value::Val::Arr(a)) = &input {
            // A top-level array is one value to the expression: `$` is the whole array.
            let outer = value::Arr {
                items: vec![value::Val::Arr(a.clone())],
                seq: true,
                outer: true,
                ..value::Arr::default()
            };
            input = Some(value::Val::Arr(std::rc::Rc::new(outer)));
        }
        if let Some(i) = &input {
            env.bind("$", i.clone());
        }
        for (k, v) in &bindings.vars {
            env.bind(k, value::Val::from_json(v));
        }
        let r = ctx.eval(&self.root, &input, &env);
        ctx.release();
        env.clear();
        let out = r?;
        Ok(match out {
            None => Returned::Undefined,
            Some(value::Val::Func(_)) => Returned::Function,
            Some(v) => Returned::Json(v.to_json()),
        })
    }
}

#[cfg(test)]
mod tests;
