//! Paths: steps mapped over sequences (`a.b.c`), `*` and `**`, predicates (`[...]`), and
//! the tuple streams that carry `@` (focus), `#` (index) and `%` (parent) bindings through
//! the steps.

use super::{tuple_frame, Ctx};
use crate::ast::{Kind, Node, Stage};
use crate::error::Result;
use crate::sequence::{flatten, is_numeric, truthy};
use crate::value::{Arr, Env, Opt, Tuple, Val};
use std::rc::Rc;

impl Ctx<'_> {
    pub(super) fn wildcard(&self, input: &Opt) -> Val {
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
        Val::seq(out)
    }

    pub(super) fn path(&self, node: &Node, input: &Opt, env: &Env) -> Result<Opt> {
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
                    Some(v) => Some(Val::seq(vec![v.clone()])),
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
                result = Some(Val::seq(ts.into_iter().filter_map(|t| t.at).collect()));
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
            let mut r = Some(Val::seq(sorted.into_iter().flatten().collect()));
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
        Ok(Some(Val::seq(out)))
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
                    v => Val::seq(vec![v.clone()]),
                }));
            }
            return Ok(Some(Val::seq(vec![])));
        }
        let mut out = Vec::new();
        for (index, item) in items.into_iter().enumerate() {
            let res = self.eval(pred, &Some(item.clone()), env)?;
            if self.predicate_selects(&res, index, n)? {
                out.push(item);
            }
        }
        Ok(Some(Val::seq(out)))
    }
}

pub(super) fn descendants(v: &Val, out: &mut Vec<Val>) {
    match v {
        Val::Arr(a) => a.items.iter().for_each(|x| descendants(x, out)),
        Val::Obj(o) => {
            out.push(v.clone());
            o.values().for_each(|x| descendants(x, out));
        }
        v => out.push(v.clone()),
    }
}
