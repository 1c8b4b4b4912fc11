//! Grouping: an object constructor `{key: value}`, on its own or after a path (`a{key:
//! value}`), groups the items by key and evaluates each value over its group.

use super::{tuple_frame, Ctx};
use crate::ast::{Group, Node};
use crate::error::{err, Result};
use crate::sequence::append;
use crate::value::{Env, Map, Opt, Tuple, Val};

impl Ctx<'_> {
    pub(super) fn group(&self, g: &Group, input: Opt, env: &Env) -> Result<Val> {
        self.group_pairs(&g.pairs, input, env)
    }

    pub(super) fn group_pairs(&self, pairs: &[(Node, Node)], input: Opt, env: &Env) -> Result<Val> {
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
