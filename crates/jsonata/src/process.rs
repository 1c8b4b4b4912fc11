//! Post-processing of the raw tree (JSONata's `processAST`): dotted steps become paths,
//! predicates and bindings are attached to their step, tail calls in lambda bodies are marked
//! for the trampoline, and each `%` is resolved to the step whose input it reads.

use super::ast::{Group, Kind, Node, Stage};
use super::error::{err, JsonataError, Result};
use super::{lexer, parser};
use std::sync::Arc;

/// Expression text -> the processed tree and the labels of its `%` slots: the whole of
/// parsing, for `Expression::parse` and `$eval` alike.
pub fn compile(src: &str) -> Result<(Node, Vec<String>)> {
    let toks = lexer::tokenize(src)?;
    let raw = parser::Parser::new(toks).parse_all()?;
    let mut p = Processor::default();
    let root = p.process(raw)?;
    // A `%` with no step to be the parent of.
    if !root.ann.seeking_parent.is_empty() || matches!(root.kind, Kind::Parent(_)) {
        return Err(JsonataError::new(
            "S0217",
            Some(root.pos),
            "The object representing the 'parent' cannot be derived from this expression",
        ));
    }
    let labels = p.slots.into_iter().map(|s| s.label).collect();
    Ok((root, labels))
}

pub struct Slot {
    pub label: String,
    pub level: i32,
}

#[derive(Default)]
pub struct Processor {
    pub slots: Vec<Slot>,
    /// Where the stack was at the root of the pass (see `super::STACK_BUDGET`).
    stack_base: Option<usize>,
}

fn take(n: &mut Node) -> Node {
    std::mem::replace(n, Node::new(Kind::Null, 0))
}

fn is_path(n: &Node) -> bool {
    matches!(n.kind, Kind::Path { .. })
}

fn into_path(n: Node) -> Node {
    if is_path(&n) {
        return n;
    }
    let pos = n.pos;
    Node::new(
        Kind::Path {
            steps: vec![n],
            keep_singleton: false,
        },
        pos,
    )
}

fn last_step(n: &mut Node) -> &mut Node {
    let has_steps = matches!(&n.kind, Kind::Path { steps, .. } if !steps.is_empty());
    if !has_steps {
        return n;
    }
    match &mut n.kind {
        Kind::Path { steps, .. } => steps.last_mut().expect("checked non-empty"),
        _ => unreachable!("checked a path"),
    }
}

impl Processor {
    fn push_ancestry(&self, result: &mut Node, value: &Node) {
        let mut slots = value.ann.seeking_parent.clone();
        if let Kind::Parent(s) = value.kind {
            slots.push(s);
        }
        result.ann.seeking_parent.extend(slots);
    }

    fn seek_parent(&mut self, node: &mut Node, slot: usize) -> Result<usize> {
        match &mut node.kind {
            Kind::Name(_) | Kind::Wildcard => {
                self.slots[slot].level -= 1;
                if self.slots[slot].level == 0 {
                    if let Some(existing) = node.ann.ancestor {
                        self.slots[slot].label = self.slots[existing].label.clone();
                    }
                    node.ann.ancestor = Some(slot);
                    node.ann.tuple = true;
                }
            }
            Kind::Parent(_) => self.slots[slot].level += 1,
            Kind::Block(items) => {
                if let Some(last) = items.last_mut() {
                    node.ann.tuple = true;
                    return self.seek_parent(last, slot);
                }
            }
            Kind::Path { steps, .. } => {
                node.ann.tuple = true;
                let mut index = steps.len() as isize - 1;
                let mut slot = slot;
                if index >= 0 {
                    slot = self.seek_parent(&mut steps[index as usize], slot)?;
                    index -= 1;
                }
                while self.slots[slot].level > 0 && index >= 0 {
                    slot = self.seek_parent(&mut steps[index as usize], slot)?;
                    index -= 1;
                }
                return Ok(slot);
            }
            _ => {
                return err(
                    "S0217",
                    Some(node.pos),
                    "The object representing the 'parent' cannot be derived from this expression",
                );
            }
        }
        Ok(slot)
    }

    fn resolve_ancestry(&mut self, path: &mut Node) -> Result<()> {
        let Kind::Path { steps, .. } = &mut path.kind else {
            return Ok(());
        };
        let Some(last) = steps.last() else {
            return Ok(());
        };
        let mut slots = last.ann.seeking_parent.clone();
        if let Kind::Parent(s) = last.kind {
            slots.push(s);
        }
        let mut up = Vec::new();
        for slot in slots {
            let mut slot = slot;
            let mut index = steps.len() as isize - 2;
            while self.slots[slot].level > 0 {
                if index < 0 {
                    up.push(slot);
                    break;
                }
                let mut si = index as usize;
                index -= 1;
                while index >= 0
                    && steps[si].ann.focus.is_some()
                    && steps[index as usize].ann.focus.is_some()
                {
                    si = index as usize;
                    index -= 1;
                }
                slot = self.seek_parent(&mut steps[si], slot)?;
            }
        }
        path.ann.seeking_parent.extend(up);
        Ok(())
    }

    pub fn process(&mut self, mut n: Node) -> Result<Node> {
        let base = *self.stack_base.get_or_insert_with(super::stack_addr);
        if base.abs_diff(super::stack_addr()) > super::STACK_BUDGET {
            return Err(super::too_deep(n.pos));
        }
        let keep = n.ann.keep_array;
        let pos = n.pos;
        let kind = std::mem::replace(&mut n.kind, Kind::Null);
        let mut result = match kind {
            Kind::RawDot(l, r) => {
                let lstep = self.process(*l)?;
                let lparent = if let Kind::Parent(s) = lstep.kind {
                    Some(s)
                } else {
                    None
                };
                let mut result = into_path(lstep);
                if let Some(s) = lparent {
                    result.ann.seeking_parent = vec![s];
                }
                let rest = self.process(*r)?;
                {
                    let Kind::Path { steps, .. } = &mut result.kind else {
                        unreachable!("into_path returns a path")
                    };
                    match rest.kind {
                        Kind::Path { steps: rsteps, .. } => steps.extend(rsteps),
                        _ => {
                            let mut rest = rest;
                            rest.ann.stages = std::mem::take(&mut rest.ann.predicate);
                            steps.push(rest);
                        }
                    }
                    for s in steps.iter_mut() {
                        match &s.kind {
                            Kind::Num(_) | Kind::Bool(_) | Kind::Null => {
                                return err("S0213", Some(s.pos), "The literal value cannot be used as a step within a path expression");
                            }
                            Kind::Str(v) => s.kind = Kind::Name(v.clone()),
                            _ => {}
                        }
                    }
                    let keep_any = steps.iter().any(|s| s.ann.keep_array);
                    if let Some(first) = steps.first_mut() {
                        if matches!(first.kind, Kind::Array(_)) {
                            first.ann.consarray = true;
                        }
                    }
                    if let Some(last) = steps.last_mut() {
                        if matches!(last.kind, Kind::Array(_)) {
                            last.ann.consarray = true;
                        }
                    }
                    if keep_any {
                        if let Kind::Path { keep_singleton, .. } = &mut result.kind {
                            *keep_singleton = true;
                        }
                    }
                }
                self.resolve_ancestry(&mut result)?;
                result
            }
            Kind::RawPred(l, r) => {
                let mut result = self.process(*l)?;
                let in_path = is_path(&result);
                let predicate = self.process(*r)?;
                let step = last_step(&mut result);
                if step.ann.group.is_some() {
                    return err(
                        "S0209",
                        Some(pos),
                        "A predicate cannot follow a grouping expression in a step",
                    );
                }
                let seeking = predicate.ann.seeking_parent.clone();
                for slot in seeking {
                    if self.slots[slot].level == 1 {
                        self.seek_parent(step, slot)?;
                    } else {
                        self.slots[slot].level -= 1;
                    }
                }
                self.push_ancestry(step, &predicate);
                if in_path {
                    step.ann.stages.push(Stage::Filter(predicate));
                } else {
                    step.ann.predicate.push(Stage::Filter(predicate));
                }
                result
            }
            Kind::RawGroup(l, pairs) => {
                let mut result = self.process(*l)?;
                if result.ann.group.is_some() {
                    return err(
                        "S0210",
                        Some(pos),
                        "Each step can only have one grouping expression",
                    );
                }
                let mut ps = Vec::new();
                for (k, v) in pairs {
                    ps.push((self.process(k)?, self.process(v)?));
                }
                result.ann.group = Some(Box::new(Group { pairs: ps }));
                result
            }
            Kind::RawSort(l, terms) => {
                let result = self.process(*l)?;
                let mut result = into_path(result);
                let mut sort = Node::new(Kind::Null, pos);
                let mut ts = Vec::new();
                for (e, d) in terms {
                    let e = self.process(e)?;
                    self.push_ancestry(&mut sort, &e);
                    ts.push((e, d));
                }
                sort.kind = Kind::Sort(ts);
                if let Kind::Path { steps, .. } = &mut result.kind {
                    steps.push(sort);
                }
                self.resolve_ancestry(&mut result)?;
                result
            }
            Kind::RawFocus(l, v) => {
                let mut result = self.process(*l)?;
                let step = last_step(&mut result);
                if !step.ann.stages.is_empty() || !step.ann.predicate.is_empty() {
                    return err(
                        "S0215",
                        Some(pos),
                        "A context variable binding must precede any predicates on a step",
                    );
                }
                if matches!(step.kind, Kind::Sort(_)) {
                    return err(
                        "S0216",
                        Some(pos),
                        "A context variable binding must precede the 'order-by' clause on a step",
                    );
                }
                if keep {
                    step.ann.keep_array = true;
                }
                step.ann.focus = Some(v);
                step.ann.tuple = true;
                result
            }
            Kind::RawIndex(l, v) => {
                let result = self.process(*l)?;
                let mut result = if is_path(&result) {
                    result
                } else {
                    let mut r = result;
                    r.ann.stages = std::mem::take(&mut r.ann.predicate);
                    into_path(r)
                };
                let step = last_step(&mut result);
                if step.ann.stages.is_empty() {
                    step.ann.index = Some(v);
                } else {
                    step.ann.stages.push(Stage::Index(v));
                }
                step.ann.tuple = true;
                result
            }
            Kind::Bind(name, v) => {
                let v = self.process(*v)?;
                let mut r = Node::new(Kind::Null, pos);
                self.push_ancestry(&mut r, &v);
                r.kind = Kind::Bind(name, Box::new(v));
                r
            }
            Kind::Apply(l, r) => {
                let l = self.process(*l)?;
                let r = self.process(*r)?;
                let mut n = Node::new(Kind::Null, pos);
                n.ann.keep_array = l.ann.keep_array || r.ann.keep_array;
                n.kind = Kind::Apply(Box::new(l), Box::new(r));
                n
            }
            Kind::Binary(op, l, r) => {
                let l = self.process(*l)?;
                let r = self.process(*r)?;
                let mut n = Node::new(Kind::Null, pos);
                self.push_ancestry(&mut n, &l);
                self.push_ancestry(&mut n, &r);
                n.kind = Kind::Binary(op, Box::new(l), Box::new(r));
                n
            }
            Kind::Array(items) => {
                let mut n = Node::new(Kind::Null, pos);
                let mut out = Vec::new();
                for i in items {
                    let v = self.process(i)?;
                    self.push_ancestry(&mut n, &v);
                    out.push(v);
                }
                n.kind = Kind::Array(out);
                n
            }
            Kind::Object(pairs) => {
                let mut n = Node::new(Kind::Null, pos);
                let mut out = Vec::new();
                for (k, v) in pairs {
                    let k = self.process(k)?;
                    self.push_ancestry(&mut n, &k);
                    let v = self.process(v)?;
                    self.push_ancestry(&mut n, &v);
                    out.push((k, v));
                }
                n.kind = Kind::Object(out);
                n
            }
            Kind::Neg(e) => {
                let e = self.process(*e)?;
                if let Kind::Num(v) = e.kind {
                    Node::new(Kind::Num(-v), pos)
                } else {
                    let mut n = Node::new(Kind::Null, pos);
                    self.push_ancestry(&mut n, &e);
                    n.kind = Kind::Neg(Box::new(e));
                    n
                }
            }
            Kind::Call {
                proc,
                args,
                partial,
            } => {
                let mut n = Node::new(Kind::Null, pos);
                let mut out = Vec::new();
                for a in args {
                    let a = self.process(a)?;
                    self.push_ancestry(&mut n, &a);
                    out.push(a);
                }
                let proc = self.process(*proc)?;
                n.kind = Kind::Call {
                    proc: Box::new(proc),
                    args: out,
                    partial,
                };
                n
            }
            Kind::Lambda {
                params, body, sig, ..
            } => {
                let body = Arc::try_unwrap(body).unwrap_or_else(|_| Node::new(Kind::Null, pos));
                let body = self.process(body)?;
                let body = tail_call_optimize(body);
                Node::new(
                    Kind::Lambda {
                        params,
                        body: Arc::new(body),
                        sig,
                        thunk: false,
                    },
                    pos,
                )
            }
            Kind::Condition(c, t, e) => {
                let mut n = Node::new(Kind::Null, pos);
                let c = self.process(*c)?;
                self.push_ancestry(&mut n, &c);
                let t = self.process(*t)?;
                self.push_ancestry(&mut n, &t);
                let e = match e {
                    Some(e) => {
                        let e = self.process(*e)?;
                        self.push_ancestry(&mut n, &e);
                        Some(Box::new(e))
                    }
                    None => None,
                };
                n.kind = Kind::Condition(Box::new(c), Box::new(t), e);
                n
            }
            Kind::RawTransform(p, u, d) => {
                let pattern = self.process(*p)?;
                let update = self.process(*u)?;
                let delete = match d {
                    Some(d) => Some(self.process(*d)?),
                    None => None,
                };
                Node::new(
                    Kind::Transform(Arc::new(super::ast::TransformNodes {
                        pattern,
                        update,
                        delete,
                    })),
                    pos,
                )
            }
            Kind::Block(items) => {
                let mut n = Node::new(Kind::Null, pos);
                let mut out = Vec::new();
                for i in items {
                    let v = self.process(i)?;
                    self.push_ancestry(&mut n, &v);
                    if v.ann.consarray
                        || matches!(&v.kind, Kind::Path { steps, .. } if steps.first().is_some_and(|s| s.ann.consarray))
                    {
                        n.ann.consarray = true;
                    }
                    out.push(v);
                }
                n.kind = Kind::Block(out);
                n
            }
            Kind::Name(v) => {
                let mut step = Node::new(Kind::Name(v), pos);
                step.ann = std::mem::take(&mut n.ann);
                let mut p = into_path(step);
                if keep {
                    if let Kind::Path { keep_singleton, .. } = &mut p.kind {
                        *keep_singleton = true;
                    }
                }
                // keep_array stays on the step too (read by the enclosing path).
                return Ok(p);
            }
            Kind::Parent(_) => {
                let id = self.slots.len();
                self.slots.push(Slot {
                    label: format!("!{id}"),
                    level: 1,
                });
                Node::new(Kind::Parent(id), pos)
            }
            other => Node::new(other, pos),
        };
        if keep {
            result.ann.keep_array = true;
        }
        Ok(result)
    }
}

/// Marks calls in tail position so `apply` can run them in a loop instead of recursing.
fn tail_call_optimize(mut body: Node) -> Node {
    let is_call =
        matches!(body.kind, Kind::Call { partial: false, .. }) && body.ann.predicate.is_empty();
    if is_call {
        let pos = body.pos;
        return Node::new(
            Kind::Lambda {
                params: Arc::new(Vec::new()),
                body: Arc::new(body),
                sig: None,
                thunk: true,
            },
            pos,
        );
    }
    match &mut body.kind {
        Kind::Condition(_, t, e) => {
            let tt = take(t);
            **t = tail_call_optimize(tt);
            if let Some(e) = e {
                let ee = take(e);
                **e = tail_call_optimize(ee);
            }
        }
        Kind::Block(items) => {
            if let Some(last) = items.last_mut() {
                let l = take(last);
                *last = tail_call_optimize(l);
            }
        }
        _ => {}
    }
    body
}
