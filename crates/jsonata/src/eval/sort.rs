//! `order-by` (`a^(>price, name)`): the sort keys evaluated per item (or per tuple), compared
//! as JSONata compares them, in a stable sort.

use super::{tuple_frame, Ctx};
use crate::ast::{Kind, Node};
use crate::error::{err, Result};
use crate::sequence::merge_sort;
use crate::value::{Env, Opt, Tuple, Val};

impl Ctx<'_> {
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

    pub(super) fn sort(&self, node: &Node, items: Vec<Opt>, env: &Env) -> Result<Vec<Opt>> {
        let with: Vec<(Opt, Option<Env>)> = items.into_iter().map(|i| (i, None)).collect();
        let keys = self.sort_keys(node, &with, env)?;
        let order = self.sort_order(node, &keys)?;
        Ok(order.into_iter().map(|i| with[i].0.clone()).collect())
    }

    pub(super) fn sort_tuples(&self, node: &Node, ts: Vec<Tuple>, env: &Env) -> Result<Vec<Tuple>> {
        let with: Vec<(Opt, Option<Env>)> = ts
            .iter()
            .map(|t| (t.at.clone(), Some(tuple_frame(self, env, t))))
            .collect();
        let keys = self.sort_keys(node, &with, env)?;
        let order = self.sort_order(node, &keys)?;
        Ok(order.into_iter().map(|i| ts[i].clone()).collect())
    }
}
