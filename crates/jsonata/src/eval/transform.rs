//! The transform operator `|pattern|update, delete|`: the input copied with the objects the
//! pattern selects updated and fields deleted.

use super::Ctx;
use crate::ast::TransformNodes;
use crate::error::{err, Result};
use crate::value::{Env, Map, Val};
use std::rc::Rc;

impl Ctx<'_> {
    pub(super) fn transform(&self, t: &TransformNodes, obj: Val, env: &Env) -> Result<Val> {
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
