//! The syntax tree after post-processing: dotted steps are flattened into `Path`s, predicates,
//! group-by, focus (`@`) and index (`#`) bindings are attached to the step they qualify, and a
//! parent reference (`%`) is resolved to the ancestor step that must record it.

use super::signature::Signature;
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Concat,
    And,
    Or,
    In,
    Range,
}

#[derive(Debug)]
pub enum Stage {
    Filter(Node),
    Index(String),
}

#[derive(Debug)]
pub struct TransformNodes {
    pub pattern: Node,
    pub update: Node,
    pub delete: Option<Node>,
}

#[derive(Debug)]
pub struct Group {
    pub pairs: Vec<(Node, Node)>,
}

#[derive(Debug)]
pub enum Kind {
    Str(String),
    Num(f64),
    Bool(bool),
    Null,
    Regex(Arc<regex_lite::Regex>),
    Name(String),
    Var(String),
    Wildcard,
    Descendant,
    /// `%`: reads the label of its slot from the tuple.
    Parent(usize),
    Path {
        steps: Vec<Node>,
        keep_singleton: bool,
    },
    Binary(BinOp, Box<Node>, Box<Node>),
    Neg(Box<Node>),
    Array(Vec<Node>),
    Object(Vec<(Node, Node)>),
    Condition(Box<Node>, Box<Node>, Option<Box<Node>>),
    Block(Vec<Node>),
    Bind(String, Box<Node>),
    Call {
        proc: Box<Node>,
        args: Vec<Node>,
        partial: bool,
    },
    /// `?` in a partial application's arguments.
    Placeholder,
    Lambda {
        params: Arc<Vec<String>>,
        body: Arc<Node>,
        sig: Option<Arc<Signature>>,
        thunk: bool,
    },
    Apply(Box<Node>, Box<Node>),
    Transform(Arc<TransformNodes>),
    Sort(Vec<(Node, bool)>),
    // Raw forms, only between the Pratt parser and post-processing.
    RawDot(Box<Node>, Box<Node>),
    RawPred(Box<Node>, Box<Node>),
    RawGroup(Box<Node>, Vec<(Node, Node)>),
    RawSort(Box<Node>, Vec<(Node, bool)>),
    RawFocus(Box<Node>, String),
    RawIndex(Box<Node>, String),
    RawTransform(Box<Node>, Box<Node>, Option<Box<Node>>),
}

#[derive(Debug, Default)]
pub struct Ann {
    /// Filters applied to the node's whole result (a node that is not a path step).
    pub predicate: Vec<Stage>,
    /// Filters/index bindings applied per input item (a path step).
    pub stages: Vec<Stage>,
    pub group: Option<Box<Group>>,
    pub focus: Option<String>,
    pub index: Option<String>,
    pub tuple: bool,
    pub keep_array: bool,
    pub consarray: bool,
    /// Slot whose label this step binds to its input (for a `%` further along).
    pub ancestor: Option<usize>,
    pub seeking_parent: Vec<usize>,
}

#[derive(Debug)]
pub struct Node {
    pub kind: Kind,
    pub pos: usize,
    pub ann: Ann,
}

impl Node {
    pub fn new(kind: Kind, pos: usize) -> Node {
        Node {
            kind,
            pos,
            ann: Ann::default(),
        }
    }
}
