//! Functions over values, arrays and objects.

use super::{arg, err, Opt, Result};
use crate::sequence::{append, truthy};
use crate::value::{deep_equal, Arr, Caller, Env, Map, Val};
use std::rc::Rc;

pub fn boolean(_: &dyn Caller, args: &[Opt], _: &Opt, _: &Env) -> Result<Opt> {
    Ok(truthy(&arg(args, 0)).map(Val::Bool))
}

pub fn not(_: &dyn Caller, args: &[Opt], _: &Opt, _: &Env) -> Result<Opt> {
    Ok(truthy(&arg(args, 0)).map(|b| Val::Bool(!b)))
}

pub fn exists(_: &dyn Caller, args: &[Opt], _: &Opt, _: &Env) -> Result<Opt> {
    Ok(Some(Val::Bool(arg(args, 0).is_some())))
}

pub fn type_of(_: &dyn Caller, args: &[Opt], _: &Opt, _: &Env) -> Result<Opt> {
    Ok(arg(args, 0).map(|v| {
        Val::str(match v {
            Val::Null => "null",
            Val::Num(_) => "number",
            Val::Str(_) => "string",
            Val::Bool(_) => "boolean",
            Val::Arr(_) | Val::Tuples(_) => "array",
            Val::Func(_) => "function",
            Val::Obj(_) => "object",
        })
    }))
}

pub fn append_fn(_: &dyn Caller, args: &[Opt], _: &Opt, _: &Env) -> Result<Opt> {
    Ok(append(arg(args, 0), arg(args, 1)))
}

pub fn reverse(_: &dyn Caller, args: &[Opt], _: &Opt, _: &Env) -> Result<Opt> {
    let Some(Val::Arr(a)) = arg(args, 0) else {
        return Ok(None);
    };
    let mut items = a.items.clone();
    items.reverse();
    Ok(Some(Val::array(items)))
}

pub fn shuffle(_: &dyn Caller, args: &[Opt], _: &Opt, _: &Env) -> Result<Opt> {
    let Some(Val::Arr(a)) = arg(args, 0) else {
        return Ok(None);
    };
    let mut items = a.items.clone();
    for i in (1..items.len()).rev() {
        let j = (super::numeric::random_unit() * (i + 1) as f64) as usize;
        items.swap(i, j.min(i));
    }
    Ok(Some(Val::array(items)))
}

pub fn distinct(_: &dyn Caller, args: &[Opt], _: &Opt, _: &Env) -> Result<Opt> {
    let Some(v) = arg(args, 0) else {
        return Ok(None);
    };
    let Val::Arr(a) = &v else { return Ok(Some(v)) };
    if a.items.len() <= 1 {
        return Ok(Some(v.clone()));
    }
    let mut out: Vec<Val> = Vec::new();
    for x in &a.items {
        if !out.iter().any(|y| deep_equal(x, y)) {
            out.push(x.clone());
        }
    }
    Ok(Some(Val::Arr(Rc::new(Arr {
        items: out,
        seq: a.seq,
        ..Arr::default()
    }))))
}

pub fn zip(_: &dyn Caller, args: &[Opt], _: &Opt, _: &Env) -> Result<Opt> {
    let arrays: Vec<Vec<Val>> = args
        .iter()
        .map(|a| a.as_ref().map(|v| v.items()).unwrap_or_default())
        .collect();
    let len = arrays.iter().map(|a| a.len()).min().unwrap_or(0);
    let out = (0..len)
        .map(|i| Val::array(arrays.iter().map(|a| a[i].clone()).collect()))
        .collect();
    Ok(Some(Val::array(out)))
}

pub fn keys(_: &dyn Caller, args: &[Opt], _: &Opt, _: &Env) -> Result<Opt> {
    let mut out: Vec<String> = Vec::new();
    match arg(args, 0) {
        Some(Val::Arr(a)) => {
            for item in &a.items {
                if let Val::Obj(o) = item {
                    for k in o.keys() {
                        if !out.contains(k) {
                            out.push(k.clone());
                        }
                    }
                }
            }
        }
        Some(Val::Obj(o)) => out.extend(o.keys().cloned()),
        _ => {}
    }
    Ok(Some(Val::seq(out.into_iter().map(Val::string).collect())))
}

pub fn lookup(_: &dyn Caller, args: &[Opt], _: &Opt, _: &Env) -> Result<Opt> {
    let Some(v) = arg(args, 0) else {
        return Ok(None);
    };
    let key = arg(args, 1)
        .and_then(|k| k.as_str().map(str::to_string))
        .unwrap_or_default();
    Ok(crate::sequence::lookup_field(&v, &key))
}

pub fn spread(_: &dyn Caller, args: &[Opt], _: &Opt, _: &Env) -> Result<Opt> {
    let Some(v) = arg(args, 0) else {
        return Ok(None);
    };
    fn go(v: &Val, out: &mut Vec<Val>) -> bool {
        match v {
            Val::Arr(a) => {
                a.items.iter().for_each(|x| {
                    go(x, out);
                });
                true
            }
            Val::Obj(o) => {
                for (k, x) in o.iter() {
                    let mut m = Map::new();
                    m.insert(k.clone(), x.clone());
                    out.push(Val::object(m));
                }
                true
            }
            _ => false,
        }
    }
    let mut out = Vec::new();
    match &v {
        Val::Arr(_) | Val::Obj(_) => {
            go(&v, &mut out);
            Ok(Some(Val::seq(out)))
        }
        _ => Ok(Some(v)),
    }
}

pub fn merge(_: &dyn Caller, args: &[Opt], _: &Opt, _: &Env) -> Result<Opt> {
    let Some(Val::Arr(a)) = arg(args, 0) else {
        return Ok(None);
    };
    let mut m = Map::new();
    for o in &a.items {
        if let Val::Obj(o) = o {
            for (k, v) in o.iter() {
                m.insert(k.clone(), v.clone());
            }
        }
    }
    Ok(Some(Val::object(m)))
}

pub fn error(_: &dyn Caller, args: &[Opt], _: &Opt, _: &Env) -> Result<Opt> {
    let msg = arg(args, 0)
        .and_then(|m| m.as_str().map(str::to_string))
        .unwrap_or_else(|| "$error() function evaluated".to_string());
    err("D3137", None, msg)
}

pub fn assert(_: &dyn Caller, args: &[Opt], _: &Opt, _: &Env) -> Result<Opt> {
    if !matches!(arg(args, 0), Some(Val::Bool(true))) {
        let msg = arg(args, 1)
            .and_then(|m| m.as_str().map(str::to_string))
            .unwrap_or_else(|| "$assert() statement failed".to_string());
        return err("D3141", None, msg);
    }
    Ok(None)
}

pub fn clone(_: &dyn Caller, args: &[Opt], _: &Opt, _: &Env) -> Result<Opt> {
    // Values are immutable, so a clone can share them.
    Ok(arg(args, 0))
}
