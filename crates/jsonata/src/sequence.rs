//! The sequence rules every part of JSONata shares: truthiness, `$append`'s concatenation, a
//! field looked up across an array (a sequence of the matches, flattened one level), and the
//! fallible stable sort both `order-by` and `$sort` use.

use super::error::{err, Result};
use super::value::{Opt, Val};

/// Whether `v` is a number arithmetic takes: NaN is not one, and an infinity is an error
/// (`D1001`), as in JSONata.
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
            Some(Val::seq(out))
        }
        Val::Obj(o) => o.get(key).cloned(),
        _ => None,
    }
}

/// Every non-array item of `v`, arrays opened at any depth.
pub fn flatten(v: &Val, out: &mut Vec<Val>) {
    match v {
        Val::Arr(a) => a.items.iter().for_each(|x| flatten(x, out)),
        v => out.push(v.clone()),
    }
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
