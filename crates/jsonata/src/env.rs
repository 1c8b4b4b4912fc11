//! Variable scopes. A frame holds the names bound in one block, lambda call or tuple; lookups
//! walk outwards; a name bound to undefined hides the outer one, as in JSONata.

use super::value::Val;
use std::cell::RefCell;
use std::rc::Rc;

pub struct Frame {
    vars: RefCell<Vec<(Rc<str>, Option<Val>)>>,
    parent: Option<Env>,
}

pub type Env = Rc<Frame>;

impl Frame {
    pub fn root() -> Env {
        Rc::new(Frame {
            vars: RefCell::new(Vec::new()),
            parent: None,
        })
    }

    pub fn child(parent: &Env) -> Env {
        Rc::new(Frame {
            vars: RefCell::new(Vec::new()),
            parent: Some(parent.clone()),
        })
    }

    pub fn bind(&self, name: &str, v: Val) {
        self.bind_opt(name, Some(v));
    }

    /// Binding undefined hides an outer variable of the same name.
    pub fn bind_opt(&self, name: &str, v: Option<Val>) {
        let mut vars = self.vars.borrow_mut();
        if let Some(slot) = vars.iter_mut().find(|(n, _)| &**n == name) {
            slot.1 = v;
        } else {
            vars.push((Rc::from(name), v));
        }
    }

    pub fn lookup(&self, name: &str) -> Option<Val> {
        let mut f = self;
        loop {
            if let Some((_, v)) = f.vars.borrow().iter().find(|(n, _)| &**n == name) {
                return v.clone();
            }
            match &f.parent {
                Some(p) => f = p,
                None => return None,
            }
        }
    }

    /// Drops the bindings: breaks the cycle a lambda bound in its own scope makes.
    pub fn clear(&self) {
        self.vars.borrow_mut().clear();
    }
}
