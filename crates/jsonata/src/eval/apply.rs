//! Function calls: a call or partial application in the expression, and the application of
//! every kind of function value (lambdas with their signatures, natives, host functions,
//! partials, `~>` chains, regexes, transforms), tail calls run in a loop.

use super::Ctx;
use crate::ast::{Kind, Node};
use crate::error::{err, Result};
use crate::functions;
use crate::value::{Env, Frame, Func, Opt, Val};
use std::rc::Rc;

impl Ctx<'_> {
    pub(super) fn call(
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

    pub(super) fn partial(
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
}
