//! Higher-order functions: each calls back into the evaluator with as many arguments as the
//! function value takes (value, index, array), as JSONata does.

use super::{arg, err, Opt, Result};
use crate::sequence::{merge_sort, truthy};
use crate::value::{Caller, Env, Map, Val};

fn arity(f: &Val) -> usize {
    match f {
        Val::Func(f) => f.arity(),
        _ => 0,
    }
}

fn hof_args(f: &Val, a: Val, b: Val, c: Val) -> Vec<Opt> {
    let n = arity(f);
    let mut v = vec![Some(a)];
    if n >= 2 {
        v.push(Some(b));
    }
    if n >= 3 {
        v.push(Some(c));
    }
    v
}

fn items(v: &Opt) -> Vec<Val> {
    v.as_ref().map(|v| v.items()).unwrap_or_default()
}

pub fn map(ctx: &dyn Caller, args: &[Opt], input: &Opt, env: &Env) -> Result<Opt> {
    let Some(arr) = arg(args, 0) else {
        return Ok(None);
    };
    let f = arg(args, 1).unwrap_or(Val::Null);
    let list = items(&Some(arr.clone()));
    let mut out = Vec::new();
    for (i, v) in list.iter().enumerate() {
        if let Some(r) = ctx.apply(
            &f,
            hof_args(&f, v.clone(), Val::Num(i as f64), arr.clone()),
            input,
            env,
            0,
        )? {
            out.push(r);
        }
    }
    Ok(Some(Val::seq(out)))
}

pub fn filter(ctx: &dyn Caller, args: &[Opt], input: &Opt, env: &Env) -> Result<Opt> {
    let Some(arr) = arg(args, 0) else {
        return Ok(None);
    };
    let f = arg(args, 1).unwrap_or(Val::Null);
    let list = items(&Some(arr.clone()));
    let mut out = Vec::new();
    for (i, v) in list.iter().enumerate() {
        let r = ctx.apply(
            &f,
            hof_args(&f, v.clone(), Val::Num(i as f64), arr.clone()),
            input,
            env,
            0,
        )?;
        if truthy(&r).unwrap_or(false) {
            out.push(v.clone());
        }
    }
    Ok(Some(Val::seq(out)))
}

pub fn single(ctx: &dyn Caller, args: &[Opt], input: &Opt, env: &Env) -> Result<Opt> {
    let Some(arr) = arg(args, 0) else {
        return Ok(None);
    };
    let f = arg(args, 1);
    let list = items(&Some(arr.clone()));
    let mut found: Opt = None;
    for (i, v) in list.iter().enumerate() {
        let ok = match &f {
            Some(f) => truthy(&ctx.apply(
                f,
                hof_args(f, v.clone(), Val::Num(i as f64), arr.clone()),
                input,
                env,
                0,
            )?)
            .unwrap_or(false),
            None => true,
        };
        if ok {
            if found.is_some() {
                return err("D3138", None, "The $single() function expected exactly 1 matching result.  Instead it matched more.");
            }
            found = Some(v.clone());
        }
    }
    match found {
        Some(v) => Ok(Some(v)),
        None => err(
            "D3139",
            None,
            "The $single() function expected exactly 1 matching result.  Instead it matched 0.",
        ),
    }
}

pub fn reduce(ctx: &dyn Caller, args: &[Opt], input: &Opt, env: &Env) -> Result<Opt> {
    let Some(arr) = arg(args, 0) else {
        return Ok(None);
    };
    let f = arg(args, 1).unwrap_or(Val::Null);
    let n = arity(&f);
    if n < 2 {
        return err(
            "D3050",
            None,
            "The second argument of reduce function must be a function with at least two arguments",
        );
    }
    let list = items(&Some(arr.clone()));
    let (mut acc, start) = match arg(args, 2) {
        None if !list.is_empty() => (Some(list[0].clone()), 1),
        init => (init, 0),
    };
    for (i, v) in list.iter().enumerate().skip(start) {
        let mut a = vec![acc, Some(v.clone())];
        if n >= 3 {
            a.push(Some(Val::Num(i as f64)));
        }
        if n >= 4 {
            a.push(Some(arr.clone()));
        }
        acc = ctx.apply(&f, a, input, env, 0)?;
    }
    Ok(acc)
}

pub fn sift(ctx: &dyn Caller, args: &[Opt], input: &Opt, env: &Env) -> Result<Opt> {
    let Some(Val::Obj(o)) = arg(args, 0) else {
        return Ok(None);
    };
    let f = arg(args, 1).unwrap_or(Val::Null);
    let whole = Val::Obj(o.clone());
    let mut out = Map::new();
    for (k, v) in o.iter() {
        let r = ctx.apply(
            &f,
            hof_args(&f, v.clone(), Val::str(k), whole.clone()),
            input,
            env,
            0,
        )?;
        if truthy(&r).unwrap_or(false) {
            out.insert(k.clone(), v.clone());
        }
    }
    if out.is_empty() {
        return Ok(None);
    }
    Ok(Some(Val::object(out)))
}

pub fn each(ctx: &dyn Caller, args: &[Opt], input: &Opt, env: &Env) -> Result<Opt> {
    let Some(Val::Obj(o)) = arg(args, 0) else {
        return Ok(None);
    };
    let f = arg(args, 1).unwrap_or(Val::Null);
    let whole = Val::Obj(o.clone());
    let mut out = Vec::new();
    for (k, v) in o.iter() {
        if let Some(r) = ctx.apply(
            &f,
            hof_args(&f, v.clone(), Val::str(k), whole.clone()),
            input,
            env,
            0,
        )? {
            out.push(r);
        }
    }
    Ok(Some(Val::seq(out)))
}

pub fn sort(ctx: &dyn Caller, args: &[Opt], input: &Opt, env: &Env) -> Result<Opt> {
    let Some(arr) = arg(args, 0) else {
        return Ok(None);
    };
    let list = items(&Some(arr.clone()));
    if list.len() <= 1 {
        return Ok(Some(arr));
    }
    let sorted = match arg(args, 1) {
        None => {
            let all_num = list.iter().all(|v| matches!(v, Val::Num(_)));
            let all_str = list.iter().all(|v| matches!(v, Val::Str(_)));
            if !all_num && !all_str {
                return err("D3070", None, "The single argument form of the sort function can only be applied to an array of strings or an array of numbers.  Use the second argument to specify a comparison function");
            }
            merge_sort(list, &|a: &Val, b: &Val| {
                Ok(match (a, b) {
                    (Val::Num(x), Val::Num(y)) => x > y,
                    (Val::Str(x), Val::Str(y)) => x > y,
                    _ => false,
                })
            })?
        }
        Some(f) => merge_sort(list, &|a: &Val, b: &Val| {
            let r = ctx.apply(&f, vec![Some(a.clone()), Some(b.clone())], input, env, 0)?;
            Ok(truthy(&r).unwrap_or(false))
        })?,
    };
    Ok(Some(Val::array(sorted)))
}

pub fn eval(ctx: &dyn Caller, args: &[Opt], input: &Opt, env: &Env) -> Result<Opt> {
    let Some(Val::Str(src)) = arg(args, 0) else {
        return Ok(None);
    };
    let mut focus = match args.get(1) {
        Some(Some(f)) => Some(f.clone()),
        _ => input.clone(),
    };
    if let Some(Val::Arr(a)) = &focus {
        if !a.seq {
            focus = Some(Val::Arr(std::rc::Rc::new(crate::value::Arr {
                items: vec![Val::Arr(a.clone())],
                seq: true,
                outer: true,
                ..Default::default()
            })));
        }
    }
    ctx.eval_text(&src, &focus, env)
}
