//! The evaluator: a tree walk over `ast::Node` with JSONata's sequence semantics. Depth, time
//! and native stack use are checked on every node, so a runaway expression ends in `U1001`.

use super::ast::{BinOp, Group, Kind, Node, Stage};
use super::env::{Env, Frame};
use super::error::{err, Result};
use super::functions;
use super::value::{deep_equal, Arr, Func, Map, Opt, Tuple, Val};
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

pub fn is_numeric(v: &Val) -> Result<bool> {
    match v {
        Val::Num(n) if n.is_nan() => Ok(false),
        Val::Num(n) if !n.is_finite() => err("D1001", None, format!("Number out of range: {n}")),
        Val::Num(_) => Ok(true),
        _ => Ok(false),
    }
}

/// JSONata's `$boolean`.
pub fn truthy(v: &Opt) -> Option<bool> {
    let v = v.as_ref()?;
    Some(match v {
        Val::Arr(a) => {
            if a.items.len() == 1 {
                truthy(&Some(a.items[0].clone())).unwrap_or(false)
            } else {
                a.items
                    .iter()
                    .any(|x| truthy(&Some(x.clone())).unwrap_or(false))
            }
        }
        Val::Str(s) => !s.is_empty(),
        Val::Num(n) => *n != 0.0 && !n.is_nan(),
        Val::Obj(o) => !o.is_empty(),
        Val::Bool(b) => *b,
        Val::Tuples(t) => !t.is_empty(),
        Val::Null | Val::Func(_) => false,
    })
}

/// `$append`: concatenation where undefined disappears and single values count as one item.
pub fn append(a: Opt, b: Opt) -> Opt {
    match (a, b) {
        (None, b) => b,
        (a, None) => a,
        (Some(a), Some(b)) => {
            let mut items = a.items();
            match b {
                Val::Arr(arr) => items.extend(arr.items.iter().cloned()),
                v => items.push(v),
            }
            Some(Val::array(items))
        }
    }
}

fn seq_of(items: Vec<Val>) -> Val {
    Val::seq(items)
}

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

pub fn lookup_field(input: &Val, key: &str) -> Opt {
    match input {
        Val::Arr(a) => {
            let mut out = Vec::new();
            for item in &a.items {
                match lookup_field(item, key) {
                    Some(Val::Arr(r)) => out.extend(r.items.iter().cloned()),
                    Some(v) => out.push(v),
                    None => {}
                }
            }
            Some(seq_of(out))
        }
        Val::Obj(o) => o.get(key).cloned(),
        _ => None,
    }
}

pub fn flatten(v: &Val, out: &mut Vec<Val>) {
    match v {
        Val::Arr(a) => a.items.iter().for_each(|x| flatten(x, out)),
        v => out.push(v.clone()),
    }
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
                Ok(Some(seq_of(out)))
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
                Ok(Some(seq_of(
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

    fn wildcard(&self, input: &Opt) -> Val {
        let mut out = Vec::new();
        let mut input = input.clone();
        if let Some(Val::Arr(a)) = &input {
            if a.outer && !a.items.is_empty() {
                input = Some(a.items[0].clone());
            }
        }
        if let Some(Val::Obj(o)) = &input {
            for v in o.values() {
                match v {
                    Val::Arr(_) => flatten(v, &mut out),
                    v => out.push(v.clone()),
                }
            }
        }
        seq_of(out)
    }

    fn path(&self, node: &Node, input: &Opt, env: &Env) -> Result<Opt> {
        let Kind::Path {
            steps,
            keep_singleton,
        } = &node.kind
        else {
            unreachable!("path node")
        };
        let mut seq: Vec<Opt> = match input {
            Some(Val::Arr(a)) if !matches!(steps.first().map(|s| &s.kind), Some(Kind::Var(_))) => {
                a.items.iter().cloned().map(Some).collect()
            }
            _ => vec![input.clone()],
        };
        let mut result: Opt = None;
        let mut tuples: Option<Vec<Tuple>> = None;
        let mut is_tuple = false;
        for (i, step) in steps.iter().enumerate() {
            if step.ann.tuple {
                is_tuple = true;
            }
            if i == 0 && step.ann.consarray {
                let whole = match input {
                    Some(a @ Val::Arr(_)) => Some(a.clone()),
                    Some(v) => Some(seq_of(vec![v.clone()])),
                    None => None,
                };
                result = self.eval(step, &whole, env)?;
            } else if is_tuple {
                tuples = Some(self.tuple_step(step, &seq, tuples, env)?);
            } else {
                result = self.step(step, &seq, env, i == steps.len() - 1)?;
            }
            if !is_tuple {
                match &result {
                    None => break,
                    Some(Val::Arr(a)) if a.items.is_empty() => break,
                    _ => {}
                }
            }
            if step.ann.focus.is_none() {
                seq = match &result {
                    Some(Val::Arr(a)) => a.items.iter().cloned().map(Some).collect(),
                    Some(v) => vec![Some(v.clone())],
                    None => vec![],
                };
            }
        }
        let mut group_tuples = None;
        if is_tuple {
            let ts = tuples.unwrap_or_default();
            if node.ann.group.is_some() {
                group_tuples = Some(Val::Tuples(Rc::new(ts.clone())));
            }
            if node.ann.tuple {
                result = Some(Val::Tuples(Rc::new(ts)));
            } else {
                result = Some(seq_of(ts.into_iter().filter_map(|t| t.at).collect()));
            }
        }
        if *keep_singleton {
            match result {
                Some(Val::Arr(a)) => {
                    let mut a2 = if a.cons && !a.seq {
                        Arr {
                            items: vec![Val::Arr(a.clone())],
                            seq: true,
                            ..Arr::default()
                        }
                    } else {
                        (*a).clone()
                    };
                    a2.keep = true;
                    result = Some(Val::Arr(Rc::new(a2)));
                }
                Some(v @ Val::Tuples(_)) => result = Some(v),
                Some(v) => {
                    result = Some(Val::Arr(Rc::new(Arr {
                        items: vec![v],
                        seq: true,
                        keep: true,
                        ..Arr::default()
                    })));
                }
                None => {}
            }
        }
        if let Some(g) = &node.ann.group {
            // A grouping over a tuple stream sees each tuple's bindings.
            let over = if group_tuples.is_some() {
                group_tuples
            } else {
                result
            };
            result = Some(self.group(g, over, env)?);
        }
        Ok(result)
    }

    fn step(&self, step: &Node, input: &[Opt], env: &Env, last: bool) -> Result<Opt> {
        if matches!(step.kind, Kind::Sort(_)) {
            let sorted = self.sort(step, input.to_vec(), env)?;
            let mut r = Some(seq_of(sorted.into_iter().flatten().collect()));
            for s in &step.ann.stages {
                if let Stage::Filter(p) = s {
                    r = self.filter(p, r, env)?;
                }
            }
            return Ok(r);
        }
        let mut results: Vec<Val> = Vec::new();
        for item in input {
            let mut res = self.eval(step, item, env)?;
            for s in &step.ann.stages {
                if let Stage::Filter(p) = s {
                    res = self.filter(p, res, env)?;
                }
            }
            if let Some(r) = res {
                results.push(r);
            }
        }
        if last && results.len() == 1 {
            if let Val::Arr(a) = &results[0] {
                if !a.seq {
                    return Ok(results.pop());
                }
            }
        }
        let mut out = Vec::new();
        for r in results {
            match r {
                Val::Arr(a) if !a.cons => out.extend(a.items.iter().cloned()),
                v => out.push(v),
            }
        }
        Ok(Some(seq_of(out)))
    }

    fn tuple_step(
        &self,
        step: &Node,
        input: &[Opt],
        tuples: Option<Vec<Tuple>>,
        env: &Env,
    ) -> Result<Vec<Tuple>> {
        if matches!(step.kind, Kind::Sort(_)) {
            let mut result = match tuples {
                Some(ts) => self.sort_tuples(step, ts, env)?,
                None => {
                    let sorted = self.sort(step, input.to_vec(), env)?;
                    sorted
                        .into_iter()
                        .enumerate()
                        .map(|(i, v)| {
                            let mut t = Tuple {
                                at: v,
                                binds: Vec::new(),
                            };
                            if let Some(ix) = &step.ann.index {
                                t.set(ix, Val::Num(i as f64));
                            }
                            t
                        })
                        .collect()
                }
            };
            result = self.stages(&step.ann.stages, result, env)?;
            return Ok(result);
        }
        let tuples = tuples.unwrap_or_else(|| {
            input
                .iter()
                .map(|i| Tuple {
                    at: i.clone(),
                    binds: Vec::new(),
                })
                .collect()
        });
        let mut result = Vec::new();
        for t in &tuples {
            let frame = tuple_frame(self, env, t);
            let res = self.eval(step, &t.at, &frame)?;
            let Some(res) = res else { continue };
            match res {
                Val::Tuples(rs) => {
                    for r in rs.iter() {
                        let mut nt = t.clone();
                        nt.at = r.at.clone();
                        for (k, v) in &r.binds {
                            nt.set(k, v.clone());
                        }
                        result.push(nt);
                    }
                }
                other => {
                    let items = match other {
                        Val::Arr(a) => a.items.clone(),
                        v => vec![v],
                    };
                    for (bb, v) in items.into_iter().enumerate() {
                        let mut nt = t.clone();
                        if let Some(f) = &step.ann.focus {
                            nt.set(f, v);
                            nt.at = t.at.clone();
                        } else {
                            nt.at = Some(v);
                        }
                        if let Some(ix) = &step.ann.index {
                            nt.set(ix, Val::Num(bb as f64));
                        }
                        if let Some(slot) = step.ann.ancestor {
                            if let Some(at) = &t.at {
                                nt.set(&self.labels[slot], at.clone());
                            }
                        }
                        result.push(nt);
                    }
                }
            }
        }
        self.stages(&step.ann.stages, result, env)
    }

    fn stages(&self, stages: &[Stage], mut ts: Vec<Tuple>, env: &Env) -> Result<Vec<Tuple>> {
        for s in stages {
            match s {
                Stage::Filter(p) => ts = self.filter_tuples(p, ts, env)?,
                Stage::Index(name) => {
                    for (i, t) in ts.iter_mut().enumerate() {
                        t.set(name, Val::Num(i as f64));
                    }
                }
            }
        }
        Ok(ts)
    }

    fn filter_tuples(&self, pred: &Node, ts: Vec<Tuple>, env: &Env) -> Result<Vec<Tuple>> {
        let n = ts.len() as i64;
        if let Kind::Num(v) = pred.kind {
            let mut i = v.floor() as i64;
            if i < 0 {
                i += n;
            }
            return Ok(ts
                .into_iter()
                .nth(i.max(0) as usize)
                .filter(|_| i >= 0)
                .into_iter()
                .collect());
        }
        let mut out = Vec::new();
        for (index, t) in ts.into_iter().enumerate() {
            let frame = tuple_frame(self, env, &t);
            let res = self.eval(pred, &t.at, &frame)?;
            if self.predicate_selects(&res, index, n)? {
                out.push(t);
            }
        }
        Ok(out)
    }

    fn predicate_selects(&self, res: &Opt, index: usize, n: i64) -> Result<bool> {
        let nums: Option<Vec<f64>> = match res {
            Some(Val::Num(x)) if is_numeric(&Val::Num(*x))? => Some(vec![*x]),
            Some(Val::Arr(a))
                if !a.items.is_empty() && a.items.iter().all(|v| matches!(v, Val::Num(_))) =>
            {
                Some(a.items.iter().filter_map(|v| v.as_num()).collect())
            }
            _ => None,
        };
        if let Some(nums) = nums {
            for x in nums {
                let mut ii = x.floor() as i64;
                if ii < 0 {
                    ii += n;
                }
                if ii == index as i64 {
                    return Ok(true);
                }
            }
            return Ok(false);
        }
        Ok(truthy(res).unwrap_or(false))
    }

    pub fn filter(&self, pred: &Node, input: Opt, env: &Env) -> Result<Opt> {
        if let Some(Val::Tuples(ts)) = input {
            let ts = self.filter_tuples(pred, (*ts).clone(), env)?;
            return Ok(Some(Val::Tuples(Rc::new(ts))));
        }
        let items: Vec<Val> = match &input {
            Some(Val::Arr(a)) => a.items.clone(),
            Some(v) => vec![v.clone()],
            None => vec![],
        };
        let n = items.len() as i64;
        if let Kind::Num(v) = pred.kind {
            let mut i = v.floor() as i64;
            if i < 0 {
                i += n;
            }
            if i >= 0 && (i as usize) < items.len() {
                return Ok(Some(match &items[i as usize] {
                    a @ Val::Arr(_) => a.clone(),
                    v => seq_of(vec![v.clone()]),
                }));
            }
            return Ok(Some(seq_of(vec![])));
        }
        let mut out = Vec::new();
        for (index, item) in items.into_iter().enumerate() {
            let res = self.eval(pred, &Some(item.clone()), env)?;
            if self.predicate_selects(&res, index, n)? {
                out.push(item);
            }
        }
        Ok(Some(seq_of(out)))
    }

    fn group(&self, g: &Group, input: Opt, env: &Env) -> Result<Val> {
        self.group_pairs(&g.pairs, input, env)
    }

    fn group_pairs(&self, pairs: &[(Node, Node)], input: Opt, env: &Env) -> Result<Val> {
        struct Entry {
            data: Opt,
            tuples: Vec<Tuple>,
            expr: usize,
        }
        let mut groups: indexmap::IndexMap<String, Entry> = indexmap::IndexMap::new();
        let tuple_mode = matches!(input, Some(Val::Tuples(_)));
        let tuples: Vec<Tuple> = match &input {
            Some(Val::Tuples(ts)) => (**ts).clone(),
            _ => vec![],
        };
        let items: Vec<Opt> = match &input {
            Some(Val::Tuples(_)) => tuples.iter().map(|t| t.at.clone()).collect(),
            Some(Val::Arr(a)) => {
                if a.items.is_empty() {
                    vec![None]
                } else {
                    a.items.iter().cloned().map(Some).collect()
                }
            }
            other => vec![other.clone()],
        };
        let items = if tuple_mode && items.is_empty() {
            vec![None]
        } else {
            items
        };
        for (idx, item) in items.iter().enumerate() {
            let frame = if tuple_mode && idx < tuples.len() {
                tuple_frame(self, env, &tuples[idx])
            } else {
                env.clone()
            };
            for (pi, (k, _)) in pairs.iter().enumerate() {
                let key = self.eval(k, item, &frame)?;
                let key = match key {
                    None => continue,
                    Some(Val::Str(s)) => s.to_string(),
                    Some(_) => {
                        return err(
                            "T1003",
                            Some(k.pos),
                            "Key in object structure must evaluate to a string",
                        )
                    }
                };
                match groups.get_mut(&key) {
                    Some(e) => {
                        if e.expr != pi {
                            return err(
                                "D1009",
                                Some(k.pos),
                                format!("Multiple key definitions evaluate to same key: {key}"),
                            );
                        }
                        e.data = append(e.data.take(), item.clone());
                        if tuple_mode {
                            e.tuples.push(tuples[idx].clone());
                        }
                    }
                    None => {
                        let ts = if tuple_mode && idx < tuples.len() {
                            vec![tuples[idx].clone()]
                        } else {
                            vec![]
                        };
                        groups.insert(
                            key,
                            Entry {
                                data: item.clone(),
                                tuples: ts,
                                expr: pi,
                            },
                        );
                    }
                }
            }
        }
        let mut out = Map::new();
        for (key, e) in groups {
            let (context, frame) = if tuple_mode {
                let reduced = reduce_tuples(&e.tuples);
                let f = tuple_frame(
                    self,
                    env,
                    &Tuple {
                        at: None,
                        binds: reduced.binds,
                    },
                );
                (reduced.at, f)
            } else {
                (e.data, env.clone())
            };
            if let Some(v) = self.eval(&pairs[e.expr].1, &context, &frame)? {
                out.insert(key, v);
            }
        }
        Ok(Val::object(out))
    }

    fn sort_keys(
        &self,
        node: &Node,
        items: &[(Opt, Option<Env>)],
        env: &Env,
    ) -> Result<Vec<Vec<Opt>>> {
        let Kind::Sort(terms) = &node.kind else {
            unreachable!("sort node")
        };
        let mut keys = Vec::new();
        for (item, frame) in items {
            let mut k = Vec::new();
            for (t, _) in terms {
                k.push(self.eval(t, item, frame.as_ref().unwrap_or(env))?);
            }
            keys.push(k);
        }
        Ok(keys)
    }

    fn sort_order(&self, node: &Node, keys: &[Vec<Opt>]) -> Result<Vec<usize>> {
        let Kind::Sort(terms) = &node.kind else {
            unreachable!("sort node")
        };
        let cmp = |a: &usize, b: &usize| -> Result<bool> {
            let mut comp = 0;
            for (ti, (_, desc)) in terms.iter().enumerate() {
                let aa = &keys[*a][ti];
                let bb = &keys[*b][ti];
                let (Some(av), Some(bv)) = (aa, bb) else {
                    comp = if aa.is_none() {
                        if bb.is_none() {
                            0
                        } else {
                            1
                        }
                    } else {
                        -1
                    };
                    continue;
                };
                let ok = |v: &Val| matches!(v, Val::Str(_) | Val::Num(_));
                if !ok(av) || !ok(bv) {
                    return err("T2008", Some(node.pos), "The expressions within an order-by clause must evaluate to numeric or string values");
                }
                let ord = match (av, bv) {
                    (Val::Num(x), Val::Num(y)) => {
                        x.partial_cmp(y).unwrap_or(std::cmp::Ordering::Equal)
                    }
                    (Val::Str(x), Val::Str(y)) => x.cmp(y),
                    _ => return err(
                        "T2007",
                        Some(node.pos),
                        "Type mismatch within order-by clause. All values must be of the same type",
                    ),
                };
                if ord == std::cmp::Ordering::Equal {
                    continue;
                }
                comp = if ord == std::cmp::Ordering::Less {
                    -1
                } else {
                    1
                };
                if *desc {
                    comp = -comp;
                }
                break;
            }
            Ok(comp == 1)
        };
        merge_sort((0..keys.len()).collect(), &cmp)
    }

    fn sort(&self, node: &Node, items: Vec<Opt>, env: &Env) -> Result<Vec<Opt>> {
        let with: Vec<(Opt, Option<Env>)> = items.into_iter().map(|i| (i, None)).collect();
        let keys = self.sort_keys(node, &with, env)?;
        let order = self.sort_order(node, &keys)?;
        Ok(order.into_iter().map(|i| with[i].0.clone()).collect())
    }

    fn sort_tuples(&self, node: &Node, ts: Vec<Tuple>, env: &Env) -> Result<Vec<Tuple>> {
        let with: Vec<(Opt, Option<Env>)> = ts
            .iter()
            .map(|t| (t.at.clone(), Some(tuple_frame(self, env, t))))
            .collect();
        let keys = self.sort_keys(node, &with, env)?;
        let order = self.sort_order(node, &keys)?;
        Ok(order.into_iter().map(|i| ts[i].clone()).collect())
    }

    fn binary(&self, op: BinOp, l: &Node, r: &Node, input: &Opt, env: &Env) -> Result<Opt> {
        let lhs = self.eval(l, input, env)?;
        match op {
            BinOp::And => {
                let lb = truthy(&lhs).unwrap_or(false);
                if !lb {
                    return Ok(Some(Val::Bool(false)));
                }
                let rhs = self.eval(r, input, env)?;
                return Ok(Some(Val::Bool(truthy(&rhs).unwrap_or(false))));
            }
            BinOp::Or => {
                let lb = truthy(&lhs).unwrap_or(false);
                if lb {
                    return Ok(Some(Val::Bool(true)));
                }
                let rhs = self.eval(r, input, env)?;
                return Ok(Some(Val::Bool(truthy(&rhs).unwrap_or(false))));
            }
            _ => {}
        }
        let rhs = self.eval(r, input, env)?;
        let pos = Some(l.pos.max(r.pos.saturating_sub(1)));
        match op {
            BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div | BinOp::Mod => {
                if let Some(v) = &lhs {
                    if !is_numeric(v)? {
                        return err(
                            "T2001",
                            pos,
                            "The left side of the arithmetic operator must evaluate to a number",
                        );
                    }
                }
                if let Some(v) = &rhs {
                    if !is_numeric(v)? {
                        return err(
                            "T2002",
                            pos,
                            "The right side of the arithmetic operator must evaluate to a number",
                        );
                    }
                }
                let (Some(Val::Num(a)), Some(Val::Num(b))) = (lhs, rhs) else {
                    return Ok(None);
                };
                Ok(Some(Val::Num(match op {
                    BinOp::Add => a + b,
                    BinOp::Sub => a - b,
                    BinOp::Mul => a * b,
                    BinOp::Div => a / b,
                    _ => a % b,
                })))
            }
            BinOp::Eq | BinOp::Ne => {
                let (Some(a), Some(b)) = (&lhs, &rhs) else {
                    return Ok(Some(Val::Bool(false)));
                };
                let eq = deep_equal(a, b);
                Ok(Some(Val::Bool(if op == BinOp::Eq { eq } else { !eq })))
            }
            BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
                let comparable =
                    |v: &Opt| matches!(v, None | Some(Val::Str(_)) | Some(Val::Num(_)));
                if !comparable(&lhs) || !comparable(&rhs) {
                    return err("T2010", pos, "The expressions either side of operator must evaluate to numeric or string values");
                }
                let ord =
                    match (&lhs, &rhs) {
                        (None, _) | (_, None) => return Ok(None),
                        (Some(Val::Num(a)), Some(Val::Num(b))) => a.partial_cmp(b),
                        (Some(Val::Str(a)), Some(Val::Str(b))) => Some(a.cmp(b)),
                        _ => return err(
                            "T2009",
                            pos,
                            "The values either side of the operator must be of the same data type",
                        ),
                    };
                use std::cmp::Ordering::*;
                let r = match (op, ord) {
                    (_, None) => false,
                    (BinOp::Lt, Some(o)) => o == Less,
                    (BinOp::Le, Some(o)) => o != Greater,
                    (BinOp::Gt, Some(o)) => o == Greater,
                    (_, Some(o)) => o != Less,
                };
                Ok(Some(Val::Bool(r)))
            }
            BinOp::Concat => {
                let s = |v: &Opt| -> Result<String> {
                    match v {
                        None => Ok(String::new()),
                        Some(v) => functions::string::stringify(v, false),
                    }
                };
                Ok(Some(Val::string(s(&lhs)? + &s(&rhs)?)))
            }
            BinOp::In => {
                let (Some(a), Some(b)) = (&lhs, &rhs) else {
                    return Ok(Some(Val::Bool(false)));
                };
                let items = b.items();
                let found = items.iter().any(|x| match (x, a) {
                    (Val::Num(p), Val::Num(q)) => p == q,
                    (Val::Str(p), Val::Str(q)) => p == q,
                    (Val::Bool(p), Val::Bool(q)) => p == q,
                    (Val::Null, Val::Null) => true,
                    (Val::Arr(p), Val::Arr(q)) => Rc::ptr_eq(p, q),
                    (Val::Obj(p), Val::Obj(q)) => Rc::ptr_eq(p, q),
                    _ => false,
                });
                Ok(Some(Val::Bool(found)))
            }
            BinOp::Range => {
                let int = |v: &Opt| match v {
                    None => Some(true),
                    Some(Val::Num(n)) => Some(n.fract() == 0.0 && n.is_finite()),
                    _ => Some(false),
                };
                if int(&lhs) != Some(true) {
                    return err(
                        "T2003",
                        pos,
                        "The left side of the range operator (..) must evaluate to an integer",
                    );
                }
                if int(&rhs) != Some(true) {
                    return err(
                        "T2004",
                        pos,
                        "The right side of the range operator (..) must evaluate to an integer",
                    );
                }
                let (Some(Val::Num(a)), Some(Val::Num(b))) = (lhs, rhs) else {
                    return Ok(None);
                };
                if a > b {
                    return Ok(None);
                }
                let size = b - a + 1.0;
                if size > 1e7 {
                    return err("D2014", pos, format!("The size of the sequence allocated by the range operator (..) must not exceed 1e7.  Attempted to allocate {size}."));
                }
                self.charge(size as u64)?;
                let (a, b) = (a as i64, b as i64);
                Ok(Some(seq_of((a..=b).map(|i| Val::Num(i as f64)).collect())))
            }
            BinOp::And | BinOp::Or => unreachable!("handled above"),
        }
    }

    fn call(
        &self,
        node: &Node,
        proc: &Node,
        args: &[Node],
        input: &Opt,
        env: &Env,
        context: Option<Opt>,
    ) -> Result<Opt> {
        let f = self.eval(proc, input, env)?;
        let mut vals = Vec::new();
        if let Some(c) = context {
            vals.push(c);
        }
        for a in args {
            vals.push(self.eval(a, input, env)?);
        }
        let Some(f) = f else {
            if let Kind::Path { steps, .. } = &proc.kind {
                if let Some(Kind::Name(n)) = steps.first().map(|s| &s.kind) {
                    if self.lookup_var(n, env).is_some() {
                        return err(
                            "T1005",
                            Some(node.pos),
                            format!("Attempted to invoke a non-function. Did you mean ${n}?"),
                        );
                    }
                }
            }
            return err(
                "T1006",
                Some(node.pos),
                "Attempted to invoke a non-function",
            );
        };
        self.apply(&f, vals, input, env, node.pos)
    }

    fn partial(
        &self,
        node: &Node,
        proc: &Node,
        args: &[Node],
        input: &Opt,
        env: &Env,
    ) -> Result<Opt> {
        let mut vals = Vec::new();
        for a in args {
            if matches!(a.kind, Kind::Placeholder) {
                vals.push(None);
            } else {
                vals.push(Some(self.eval(a, input, env)?));
            }
        }
        let f = self.eval(proc, input, env)?;
        let Some(f @ Val::Func(_)) = f else {
            if f.is_none() {
                if let Kind::Path { steps, .. } = &proc.kind {
                    if let Some(Kind::Name(n)) = steps.first().map(|s| &s.kind) {
                        if self.lookup_var(n, env).is_some() {
                            return err("T1007", Some(node.pos), format!("Attempted to partially apply a non-function. Did you mean ${n}?"));
                        }
                    }
                }
            }
            return err(
                "T1008",
                Some(node.pos),
                "Attempted to partially apply a non-function",
            );
        };
        // `Some(None)` is an argument that evaluated to undefined; `None` is a placeholder.
        Ok(Some(Val::Func(Rc::new(Func::Partial { f, args: vals }))))
    }

    /// Calls a function value; tail calls returned as thunks are run here in a loop.
    pub fn apply(
        &self,
        f: &Val,
        args: Vec<Opt>,
        input: &Opt,
        env: &Env,
        pos: usize,
    ) -> Result<Opt> {
        let mut result = self.apply_inner(f, args, input, env, pos)?;
        while let Some(Val::Func(rf)) = &result {
            let Func::Lambda {
                body,
                env: tenv,
                input: tinput,
                thunk: true,
                ..
            } = &**rf
            else {
                break;
            };
            let Kind::Call { proc, args, .. } = &body.kind else {
                break;
            };
            let next = self.eval(proc, tinput, tenv)?;
            let mut vals = Vec::new();
            for a in args {
                vals.push(self.eval(a, tinput, tenv)?);
            }
            let Some(next) = next else {
                return err(
                    "T1006",
                    Some(body.pos),
                    "Attempted to invoke a non-function",
                );
            };
            result = self.apply_inner(&next, vals, tinput, tenv, body.pos)?;
        }
        Ok(result)
    }

    fn apply_inner(
        &self,
        f: &Val,
        args: Vec<Opt>,
        input: &Opt,
        env: &Env,
        pos: usize,
    ) -> Result<Opt> {
        let Val::Func(func) = f else {
            return err("T1006", Some(pos), "Attempted to invoke a non-function");
        };
        self.enter()?;
        let r = self.apply_func(func, args, input, env, pos);
        self.depth.set(self.depth.get() - 1);
        r
    }

    fn apply_func(
        &self,
        func: &Rc<Func>,
        args: Vec<Opt>,
        input: &Opt,
        env: &Env,
        pos: usize,
    ) -> Result<Opt> {
        match &**func {
            Func::Lambda {
                params,
                body,
                sig,
                env: lenv,
                input: linput,
                ..
            } => {
                let args = match sig {
                    Some(s) => s.validate(&args, input, pos)?,
                    None => args,
                };
                let frame = Frame::child(lenv);
                for (i, p) in params.iter().enumerate() {
                    if let Some(Some(v)) = args.get(i) {
                        frame.bind(p, v.clone());
                    }
                }
                self.eval(body, linput, &frame)
            }
            Func::Native { sig, imp, .. } => {
                let args = sig.validate(&args, input, pos)?;
                imp(self, &args, input, env).map_err(|e| e.at(pos))
            }
            Func::Host(h) => {
                let json: Vec<Option<serde_json::Value>> =
                    args.iter().map(|a| a.as_ref().map(Val::to_json)).collect();
                let out = (h.imp)(&json).map_err(|e| e.at(pos))?;
                Ok(out.as_ref().map(Val::from_json))
            }
            Func::Partial { f, args: bound } => {
                let mut given = args.into_iter();
                let mut full = Vec::new();
                for b in bound {
                    match b {
                        Some(v) => full.push(v.clone()),
                        None => full.push(given.next().flatten()),
                    }
                }
                self.apply(f, full, input, env, pos)
            }
            Func::Chain(a, b) => {
                let mid = self.apply(a, args, input, env, pos)?;
                self.apply(b, vec![mid], input, env, pos)
            }
            Func::Regex(re) => {
                let s = match args.first() {
                    Some(Some(Val::Str(s))) => s.clone(),
                    _ => return Ok(None),
                };
                Ok(functions::regex::match_at(re, &s, 0))
            }
            Func::RegexNext { re, text, from } => Ok(functions::regex::match_at(re, text, *from)),
            Func::Transform { t, env: tenv } => {
                let obj = args.into_iter().next().flatten();
                match obj {
                    None => Ok(None),
                    Some(o @ (Val::Obj(_) | Val::Arr(_))) => self.transform(t, o, tenv).map(Some),
                    Some(_) => err(
                        "T0410",
                        Some(pos),
                        "Argument 1 of function does not match function signature",
                    ),
                }
            }
        }
    }

    fn transform(&self, t: &super::ast::TransformNodes, obj: Val, env: &Env) -> Result<Val> {
        // Matches are identified by the address of their map: values are shared, not copied,
        // so each object of the input tree has one `Rc`.
        let matches = self.eval(&t.pattern, &Some(obj.clone()), env)?;
        let mut edits: Vec<Edit> = Vec::new();
        for m in matches.map(|m| m.items()).unwrap_or_default() {
            let Val::Obj(mo) = &m else { continue };
            let update = self.eval(&t.update, &Some(m.clone()), env)?;
            let upd = match update {
                None => None,
                Some(Val::Obj(u)) => Some(u),
                Some(_) => return err("T2011", Some(t.update.pos), "The insert/update clause of the transform expression must evaluate to an object"),
            };
            let mut dels = Vec::new();
            if let Some(d) = &t.delete {
                if let Some(dv) = self.eval(d, &Some(m.clone()), env)? {
                    for x in dv.items() {
                        match x {
                            Val::Str(s) => dels.push(s.to_string()),
                            _ => return err("T2012", Some(d.pos), "The delete clause of the transform expression must evaluate to a string or array of strings"),
                        }
                    }
                }
            }
            edits.push((Rc::as_ptr(mo), upd, dels));
        }
        Ok(rebuild(&obj, &edits))
    }
}

/// One object a transform changes: its address in the input tree, the fields to merge into
/// it, and the fields to delete from it.
type Edit = (*const Map, Option<Rc<Map>>, Vec<String>);

fn rebuild(v: &Val, edits: &[Edit]) -> Val {
    match v {
        Val::Arr(a) => {
            let mut a2 = (**a).clone();
            a2.items = a.items.iter().map(|x| rebuild(x, edits)).collect();
            Val::Arr(Rc::new(a2))
        }
        Val::Obj(o) => {
            let mut m: Map = o
                .iter()
                .map(|(k, x)| (k.clone(), rebuild(x, edits)))
                .collect();
            let p = Rc::as_ptr(o);
            for (ptr, upd, dels) in edits {
                if *ptr == p {
                    if let Some(u) = upd {
                        for (k, x) in u.iter() {
                            m.insert(k.clone(), x.clone());
                        }
                    }
                    for d in dels {
                        m.shift_remove(d);
                    }
                }
            }
            Val::object(m)
        }
        v => v.clone(),
    }
}

fn descendants(v: &Val, out: &mut Vec<Val>) {
    match v {
        Val::Arr(a) => a.items.iter().for_each(|x| descendants(x, out)),
        Val::Obj(o) => {
            out.push(v.clone());
            o.values().for_each(|x| descendants(x, out));
        }
        v => out.push(v.clone()),
    }
}

fn reduce_tuples(ts: &[Tuple]) -> Tuple {
    let mut r = ts.first().cloned().unwrap_or(Tuple {
        at: None,
        binds: Vec::new(),
    });
    for t in ts.iter().skip(1) {
        r.at = append(r.at.take(), t.at.clone());
        for (k, v) in &t.binds {
            let cur = r.get(k).cloned();
            let nv = append(cur, Some(v.clone()));
            if let Some(nv) = nv {
                r.set(k, nv);
            }
        }
    }
    r
}

/// A stable merge sort whose comparator (`a` goes after `b`) may fail.
pub fn merge_sort<T: Clone>(
    items: Vec<T>,
    swap: &dyn Fn(&T, &T) -> Result<bool>,
) -> Result<Vec<T>> {
    if items.len() <= 1 {
        return Ok(items);
    }
    let mid = items.len() / 2;
    let right = items[mid..].to_vec();
    let mut left = items;
    left.truncate(mid);
    let l = merge_sort(left, swap)?;
    let r = merge_sort(right, swap)?;
    let mut out = Vec::with_capacity(l.len() + r.len());
    let (mut i, mut j) = (0, 0);
    while i < l.len() && j < r.len() {
        if swap(&l[i], &r[j])? {
            out.push(r[j].clone());
            j += 1;
        } else {
            out.push(l[i].clone());
            i += 1;
        }
    }
    out.extend_from_slice(&l[i..]);
    out.extend_from_slice(&r[j..]);
    Ok(out)
}
