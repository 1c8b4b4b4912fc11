//! The binary operators: arithmetic, comparison, `and`/`or` (short-circuit), `&`, `in` and
//! the range `..`, with JSONata's type errors.

use super::Ctx;
use crate::ast::{BinOp, Node};
use crate::error::{err, Result};
use crate::functions;
use crate::sequence::{is_numeric, truthy};
use crate::value::{deep_equal, Env, Opt, Val};
use std::rc::Rc;

impl Ctx<'_> {
    pub(super) fn binary(
        &self,
        op: BinOp,
        l: &Node,
        r: &Node,
        input: &Opt,
        env: &Env,
    ) -> Result<Opt> {
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
                Ok(Some(Val::seq(
                    (a..=b).map(|i| Val::Num(i as f64)).collect(),
                )))
            }
            BinOp::And | BinOp::Or => unreachable!("handled above"),
        }
    }
}
