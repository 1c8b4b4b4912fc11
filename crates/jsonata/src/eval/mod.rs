//! The evaluator: a tree walk over `ast::Node` with JSONata's sequence semantics. Depth, time
//! and native stack use are checked on every node, so a runaway expression ends in `U1001`.
//! This file holds the evaluation's bookkeeping (`Ctx`) and the walk over node kinds; each
//! larger construct has its file: `path` (steps, predicates, tuple streams), `group`
//! (object constructors and grouping), `sort` (`order-by`), `operators`, `apply` (calls and
//! function values) and `transform`.

mod apply;
mod group;
mod operators;
mod path;
mod sort;
mod transform;

use path::descendants;

use super::ast::{Kind, Node, Stage};
use super::error::{err, Result};
use super::functions;
use super::sequence::{is_numeric, lookup_field, truthy};
use super::value::{Arr, Caller, Env, Frame, Func, Opt, Tuple, Val};
use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};
use std::time::{Duration, Instant};

pub struct Ctx<'a> {
    pub start: Instant,
    pub timeout: Duration,
    /// Work done so far and the most allowed (see `Limits::work_budget`).
    work: Cell<u64>,
    pub work_budget: u64,
    pub max_depth: usize,
    pub depth: Cell<usize>,
    pub now_ms: i64,
    stack_base: usize,
    stack_budget: usize,
    pub labels: &'a [String],
    pub bindings: &'a super::Bindings,
    frames: RefCell<Vec<Weak<Frame>>>,
}

use super::stack_addr;

impl<'a> Ctx<'a> {
    pub fn new(
        labels: &'a [String],
        bindings: &'a super::Bindings,
        limits: &super::Limits,
    ) -> Ctx<'a> {
        Ctx {
            start: Instant::now(),
            timeout: limits.timeout,
            work: Cell::new(0),
            work_budget: limits.work_budget,
            max_depth: limits.max_depth,
            depth: Cell::new(0),
            now_ms: bindings.now_millis(),
            stack_base: stack_addr(),
            stack_budget: limits.stack_budget(),
            labels,
            bindings,
            frames: RefCell::new(Vec::new()),
        }
    }

    fn enter(&self) -> Result<()> {
        let d = self.depth.get() + 1;
        self.depth.set(d);
        let used = self.stack_base.abs_diff(stack_addr());
        if d > self.max_depth || used > self.stack_budget {
            return err("U1001", None, "Stack overflow error: Check for non-terminating recursive function.  Consider rewriting as tail-recursive.");
        }
        self.charge(1)?;
        if self.start.elapsed() > self.timeout {
            return err("U1001", None, super::error::TIMEOUT_MESSAGE);
        }
        Ok(())
    }

    /// Counts `units` of work against the budget; past it, the evaluation times out.
    pub fn charge(&self, units: u64) -> Result<()> {
        let done = self.work.get().saturating_add(units);
        self.work.set(done);
        if done > self.work_budget {
            return err("U1001", None, super::error::TIMEOUT_MESSAGE);
        }
        Ok(())
    }

    fn remember(&self, env: &Env) {
        self.frames.borrow_mut().push(Rc::downgrade(env));
    }

    /// Clears every scope a `:=` bound into, so closures stored in their own scope are freed.
    pub fn release(&self) {
        for f in self.frames.borrow_mut().drain(..) {
            if let Some(f) = f.upgrade() {
                f.clear();
            }
        }
    }
}

/// A scope holding a tuple's bindings (`@` and the names the path bound).
fn tuple_frame(ctx: &Ctx, env: &Env, t: &Tuple) -> Env {
    let f = Frame::child(env);
    if let Some(at) = &t.at {
        f.bind("@", at.clone());
    }
    for (k, v) in &t.binds {
        f.bind(k, v.clone());
    }
    let _ = ctx;
    f
}

impl<'a> Ctx<'a> {
    pub fn eval(&self, node: &Node, input: &Opt, env: &Env) -> Result<Opt> {
        self.enter()?;
        let r = self.eval_inner(node, input, env);
        self.depth.set(self.depth.get() - 1);
        let mut result = r.map_err(|e| e.at(node.pos))?;
        for stage in &node.ann.predicate {
            if let Stage::Filter(p) = stage {
                result = self.filter(p, result, env)?;
            }
        }
        if !matches!(node.kind, Kind::Path { .. }) {
            if let Some(g) = &node.ann.group {
                result = Some(self.group(g, result, env)?);
            }
        }
        if let Some(Val::Arr(a)) = &result {
            if a.seq {
                if node.ann.keep_array && !a.keep {
                    let mut a2 = (**a).clone();
                    a2.keep = true;
                    result = Some(Val::Arr(Rc::new(a2)));
                }
                let Some(Val::Arr(a)) = &result else {
                    unreachable!("just matched an array")
                };
                if a.items.is_empty() {
                    return Ok(None);
                }
                if a.items.len() == 1 && !a.keep {
                    return Ok(Some(a.items[0].clone()));
                }
            }
        }
        Ok(result)
    }

    fn eval_inner(&self, node: &Node, input: &Opt, env: &Env) -> Result<Opt> {
        match &node.kind {
            Kind::Str(s) => Ok(Some(Val::str(s))),
            Kind::Num(n) => Ok(Some(Val::Num(*n))),
            Kind::Bool(b) => Ok(Some(Val::Bool(*b))),
            Kind::Null => Ok(Some(Val::Null)),
            Kind::Regex(r) => Ok(Some(Val::Func(Rc::new(Func::Regex(r.clone()))))),
            Kind::Name(n) => Ok(input.as_ref().and_then(|i| lookup_field(i, n))),
            Kind::Var(v) => {
                if v.is_empty() {
                    if let Some(Val::Arr(a)) = input {
                        if a.outer {
                            return Ok(a.items.first().cloned());
                        }
                    }
                    return Ok(input.clone());
                }
                Ok(self.lookup_var(v, env))
            }
            Kind::Wildcard => Ok(Some(self.wildcard(input))),
            Kind::Descendant => {
                let Some(i) = input else { return Ok(None) };
                let mut out = Vec::new();
                descendants(i, &mut out);
                if out.len() == 1 {
                    return Ok(out.pop());
                }
                Ok(Some(Val::seq(out)))
            }
            Kind::Parent(slot) => Ok(env.lookup(&self.labels[*slot])),
            Kind::Path { .. } => self.path(node, input, env),
            Kind::Binary(op, l, r) => self.binary(*op, l, r, input, env),
            Kind::Neg(e) => match self.eval(e, input, env)? {
                None => Ok(None),
                Some(v) => {
                    if is_numeric(&v)? {
                        Ok(Some(Val::Num(-v.as_num().unwrap_or(0.0))))
                    } else {
                        err("D1002", Some(node.pos), "Cannot negate a non-numeric value")
                    }
                }
            },
            Kind::Array(items) => {
                let mut out: Vec<Val> = Vec::new();
                for item in items {
                    if let Some(v) = self.eval(item, input, env)? {
                        if matches!(item.kind, Kind::Array(_)) {
                            out.push(v);
                        } else {
                            match v {
                                Val::Arr(a) => out.extend(a.items.iter().cloned()),
                                v => out.push(v),
                            }
                        }
                    }
                }
                Ok(Some(Val::Arr(Rc::new(Arr {
                    items: out,
                    cons: node.ann.consarray,
                    ..Arr::default()
                }))))
            }
            Kind::Object(pairs) => Ok(Some(self.group_pairs(pairs, input.clone(), env)?)),
            Kind::Condition(c, t, e) => {
                let cv = self.eval(c, input, env)?;
                if truthy(&cv).unwrap_or(false) {
                    self.eval(t, input, env)
                } else if let Some(e) = e {
                    self.eval(e, input, env)
                } else {
                    Ok(None)
                }
            }
            Kind::Block(items) => {
                let frame = Frame::child(env);
                let mut result = None;
                for i in items {
                    result = self.eval(i, input, &frame)?;
                }
                Ok(result)
            }
            Kind::Bind(name, v) => {
                let value = self.eval(v, input, env)?;
                env.bind_opt(name, value.clone());
                self.remember(env);
                Ok(value)
            }
            Kind::Call {
                proc,
                args,
                partial,
            } => {
                if *partial {
                    self.partial(node, proc, args, input, env)
                } else {
                    self.call(node, proc, args, input, env, None)
                }
            }
            Kind::Placeholder => err("S0201", Some(node.pos), "Syntax error: \"?\""),
            Kind::Lambda {
                params,
                body,
                sig,
                thunk,
            } => Ok(Some(Val::Func(Rc::new(Func::Lambda {
                params: params.clone(),
                body: body.clone(),
                sig: sig.clone(),
                env: env.clone(),
                input: input.clone(),
                thunk: *thunk,
            })))),
            Kind::Apply(l, r) => {
                let lhs = self.eval(l, input, env)?;
                if let Kind::Call {
                    proc,
                    args,
                    partial: false,
                } = &r.kind
                {
                    return self.call(r, proc, args, input, env, Some(lhs));
                }
                let f = self.eval(r, input, env)?;
                let Some(f @ Val::Func(_)) = f else {
                    return err(
                        "T2006",
                        Some(node.pos),
                        "The right side of the function application operator ~> must be a function",
                    );
                };
                if let Some(l @ Val::Func(_)) = lhs {
                    return Ok(Some(Val::Func(Rc::new(Func::Chain(l, f)))));
                }
                self.apply(&f, vec![lhs], &None, env, node.pos)
            }
            Kind::Transform(t) => Ok(Some(Val::Func(Rc::new(Func::Transform {
                t: t.clone(),
                env: env.clone(),
            })))),
            Kind::Sort(_) => {
                let items = input.as_ref().map(|v| v.items()).unwrap_or_default();
                Ok(Some(Val::seq(
                    self.sort(node, items.into_iter().map(Some).collect(), env)?
                        .into_iter()
                        .flatten()
                        .collect(),
                )))
            }
            _ => err("S0201", Some(node.pos), "Syntax error"),
        }
    }

    pub fn lookup_var(&self, name: &str, env: &Env) -> Opt {
        if let Some(v) = env.lookup(name) {
            return Some(v);
        }
        if let Some(h) = self.bindings.functions.get(name) {
            return Some(Val::Func(Rc::new(Func::Host(h.clone()))));
        }
        if self.bindings.removed.iter().any(|r| r == name) {
            return None;
        }
        if self.bindings.sfn_functions {
            if let Some(f) = functions::sfn_builtin(name) {
                return Some(f);
            }
        }
        functions::builtin(name)
    }
}

impl Caller for Ctx<'_> {
    fn apply(&self, f: &Val, args: Vec<Opt>, input: &Opt, env: &Env, pos: usize) -> Result<Opt> {
        Ctx::apply(self, f, args, input, env, pos)
    }

    fn now_millis(&self) -> i64 {
        self.now_ms
    }

    /// A parse failure is `D3120`, an evaluation failure `D3121`, as `$eval` reports them.
    fn eval_text(&self, src: &str, focus: &Opt, env: &Env) -> Result<Opt> {
        let (root, labels) = crate::process::compile(src).map_err(|e| {
            crate::JsonataError::new(
                "D3120",
                None,
                format!(
                    "Syntax error in expression passed to function eval: {}",
                    e.message
                ),
            )
        })?;
        let mut sub = Ctx::new(
            &labels,
            self.bindings,
            &crate::Limits {
                max_depth: self.max_depth,
                timeout: self.timeout,
                work_budget: self.work_budget,
            },
        );
        sub.now_ms = self.now_ms;
        let r = sub
            .eval(&root, focus, env)
            .map_err(|e| crate::JsonataError::new("D3121", None, e.message));
        sub.release();
        r
    }
}
