//! Pratt parser from tokens to the raw tree (binding powers as in the JSONata reference); the
//! raw tree is then normalised by `process`.

use super::ast::{BinOp, Kind, Node};
use super::error::{err, Result};
use super::lexer::{Tok, Token};
use super::signature::Signature;
use std::sync::Arc;

pub struct Parser {
    toks: Vec<Token>,
    i: usize,
    /// Where the stack was when parsing began (see `super::STACK_BUDGET`).
    stack_base: usize,
}

fn lbp(t: &Tok) -> u8 {
    match t {
        Tok::Op(o) => match *o {
            "." => 75,
            "[" | "(" | "@" | "#" => 80,
            "{" => 70,
            "?" => 20,
            "+" | "-" | "&" => 50,
            "*" | "/" | "%" | "**" => 60,
            "=" | "<" | ">" | "^" | "!=" | "<=" | ">=" | "~>" | "in" => 40,
            ":=" => 10,
            "and" => 30,
            "or" => 25,
            _ => 0,
        },
        _ => 0,
    }
}

fn describe(t: &Tok) -> String {
    match t {
        Tok::Op(o) => o.to_string(),
        Tok::Name(n) | Tok::Quoted(n) => n.clone(),
        Tok::Var(v) => format!("${v}"),
        Tok::Str(s) => s.clone(),
        Tok::Num(n) => super::value::js_number(*n),
        Tok::Bool(b) => b.to_string(),
        Tok::Null => "null".into(),
        Tok::Regex(p, _) => format!("/{p}/"),
        Tok::End => "(end)".into(),
    }
}

impl Parser {
    pub fn new(toks: Vec<Token>) -> Parser {
        Parser {
            toks,
            i: 0,
            stack_base: super::stack_addr(),
        }
    }

    fn peek(&self) -> &Token {
        &self.toks[self.i.min(self.toks.len() - 1)]
    }

    fn next(&mut self) -> Token {
        let t = self.peek().clone();
        if self.i < self.toks.len() {
            self.i += 1;
        }
        t
    }

    fn is_op(&self, op: &str) -> bool {
        matches!(&self.peek().tok, Tok::Op(o) if *o == op)
    }

    fn expect(&mut self, op: &str) -> Result<()> {
        if self.is_op(op) {
            self.next();
            return Ok(());
        }
        let t = self.peek();
        if t.tok == Tok::End {
            return err(
                "S0203",
                Some(t.pos),
                format!("Expected \"{op}\" before end of expression"),
            );
        }
        err(
            "S0202",
            Some(t.pos),
            format!("Expected \"{op}\", got \"{}\"", describe(&t.tok)),
        )
    }

    pub fn parse_all(&mut self) -> Result<Node> {
        let n = self.expression(0)?;
        let t = self.peek();
        if t.tok != Tok::End {
            return err(
                "S0201",
                Some(t.pos),
                format!("Syntax error: \"{}\"", describe(&t.tok)),
            );
        }
        Ok(n)
    }

    pub fn expression(&mut self, rbp: u8) -> Result<Node> {
        if self.stack_base.abs_diff(super::stack_addr()) > super::STACK_BUDGET {
            return Err(super::too_deep(self.peek().pos));
        }
        let t = self.next();
        let mut left = self.nud(t)?;
        while rbp < lbp(&self.peek().tok) {
            let t = self.next();
            left = self.led(t, left)?;
        }
        Ok(left)
    }

    fn nud(&mut self, t: Token) -> Result<Node> {
        let pos = t.pos;
        let kind = match t.tok {
            Tok::Str(s) => Kind::Str(s),
            Tok::Num(n) => Kind::Num(n),
            Tok::Bool(b) => Kind::Bool(b),
            Tok::Null => Kind::Null,
            Tok::Name(n) | Tok::Quoted(n) => Kind::Name(n),
            Tok::Var(v) => Kind::Var(v),
            Tok::Regex(p, f) => Kind::Regex(Arc::new(compile_regex(&p, &f, pos)?)),
            Tok::End => return err("S0207", Some(pos), "Unexpected end of expression"),
            Tok::Op(op) => match op {
                "and" | "or" | "in" => Kind::Name(op.to_string()),
                "-" => Kind::Neg(Box::new(self.expression(70)?)),
                "*" => Kind::Wildcard,
                "**" => Kind::Descendant,
                "%" => Kind::Parent(usize::MAX),
                "(" => {
                    let mut items = Vec::new();
                    if !self.is_op(")") {
                        loop {
                            items.push(self.expression(0)?);
                            if !self.is_op(";") {
                                break;
                            }
                            self.next();
                            if self.is_op(")") {
                                break;
                            }
                        }
                    }
                    self.expect(")")?;
                    Kind::Block(items)
                }
                "[" => {
                    let mut items = Vec::new();
                    if !self.is_op("]") {
                        loop {
                            let mut item = self.expression(0)?;
                            if self.is_op("..") {
                                let p = self.next().pos;
                                let rhs = self.expression(0)?;
                                item = Node::new(
                                    Kind::Binary(BinOp::Range, Box::new(item), Box::new(rhs)),
                                    p,
                                );
                            }
                            items.push(item);
                            if !self.is_op(",") {
                                break;
                            }
                            self.next();
                        }
                    }
                    self.expect("]")?;
                    Kind::Array(items)
                }
                "{" => Kind::Object(self.pairs()?),
                "|" => {
                    let pattern = self.expression(0)?;
                    self.expect("|")?;
                    let update = self.expression(0)?;
                    let delete = if self.is_op(",") {
                        self.next();
                        Some(Box::new(self.expression(0)?))
                    } else {
                        None
                    };
                    self.expect("|")?;
                    Kind::RawTransform(Box::new(pattern), Box::new(update), delete)
                }
                _ => {
                    return err(
                        "S0211",
                        Some(pos),
                        format!("The symbol {op} cannot be used as a unary operator"),
                    )
                }
            },
        };
        Ok(Node::new(kind, pos))
    }

    /// `key: value, ...}` of an object constructor or group-by (the `{` already consumed).
    fn pairs(&mut self) -> Result<Vec<(Node, Node)>> {
        let mut pairs = Vec::new();
        if !self.is_op("}") {
            loop {
                let k = self.expression(0)?;
                self.expect(":")?;
                let v = self.expression(0)?;
                pairs.push((k, v));
                if !self.is_op(",") {
                    break;
                }
                self.next();
            }
        }
        self.expect("}")?;
        Ok(pairs)
    }

    fn led(&mut self, t: Token, left: Node) -> Result<Node> {
        let pos = t.pos;
        let Tok::Op(op) = t.tok else {
            return err("S0201", Some(pos), "Syntax error");
        };
        let bin = |p: &mut Parser, o: BinOp, bp: u8, left: Node| -> Result<Node> {
            let rhs = p.expression(bp)?;
            Ok(Node::new(
                Kind::Binary(o, Box::new(left), Box::new(rhs)),
                pos,
            ))
        };
        match op {
            "+" => bin(self, BinOp::Add, 50, left),
            "-" => bin(self, BinOp::Sub, 50, left),
            "*" => bin(self, BinOp::Mul, 60, left),
            "/" => bin(self, BinOp::Div, 60, left),
            "%" => bin(self, BinOp::Mod, 60, left),
            "=" => bin(self, BinOp::Eq, 40, left),
            "!=" => bin(self, BinOp::Ne, 40, left),
            "<" => bin(self, BinOp::Lt, 40, left),
            "<=" => bin(self, BinOp::Le, 40, left),
            ">" => bin(self, BinOp::Gt, 40, left),
            ">=" => bin(self, BinOp::Ge, 40, left),
            "&" => bin(self, BinOp::Concat, 50, left),
            "and" => bin(self, BinOp::And, 30, left),
            "or" => bin(self, BinOp::Or, 25, left),
            "in" => bin(self, BinOp::In, 40, left),
            "." => {
                let rhs = self.expression(75)?;
                Ok(Node::new(Kind::RawDot(Box::new(left), Box::new(rhs)), pos))
            }
            "~>" => {
                let rhs = self.expression(40)?;
                Ok(Node::new(Kind::Apply(Box::new(left), Box::new(rhs)), pos))
            }
            ":=" => {
                let Kind::Var(name) = &left.kind else {
                    return err(
                        "S0212",
                        Some(left.pos),
                        "The left side of := must be a variable name (start with $)",
                    );
                };
                let name = name.clone();
                let rhs = self.expression(9)?;
                Ok(Node::new(Kind::Bind(name, Box::new(rhs)), pos))
            }
            "@" | "#" => {
                let t = self.next();
                let Tok::Var(v) = t.tok else {
                    return err(
                        "S0214",
                        Some(t.pos),
                        format!("The right side of {op} must be a variable name (start with $)"),
                    );
                };
                let kind = if op == "@" {
                    Kind::RawFocus(Box::new(left), v)
                } else {
                    Kind::RawIndex(Box::new(left), v)
                };
                Ok(Node::new(kind, pos))
            }
            "?" => {
                let then = self.expression(0)?;
                let otherwise = if self.is_op(":") {
                    self.next();
                    Some(Box::new(self.expression(0)?))
                } else {
                    None
                };
                Ok(Node::new(
                    Kind::Condition(Box::new(left), Box::new(then), otherwise),
                    pos,
                ))
            }
            "[" => {
                if self.is_op("]") {
                    self.next();
                    let mut left = left;
                    mark_keep_array(&mut left);
                    return Ok(left);
                }
                let rhs = self.expression(0)?;
                self.expect("]")?;
                Ok(Node::new(Kind::RawPred(Box::new(left), Box::new(rhs)), pos))
            }
            "{" => {
                let pairs = self.pairs()?;
                Ok(Node::new(Kind::RawGroup(Box::new(left), pairs), pos))
            }
            "^" => {
                self.expect("(")?;
                let mut terms = Vec::new();
                loop {
                    let mut desc = false;
                    if self.is_op("<") {
                        self.next();
                    } else if self.is_op(">") {
                        self.next();
                        desc = true;
                    }
                    terms.push((self.expression(0)?, desc));
                    if !self.is_op(",") {
                        break;
                    }
                    self.next();
                }
                self.expect(")")?;
                Ok(Node::new(Kind::RawSort(Box::new(left), terms), pos))
            }
            "(" => self.call_or_lambda(left, pos),
            _ => err("S0201", Some(pos), format!("Syntax error: \"{op}\"")),
        }
    }

    fn call_or_lambda(&mut self, left: Node, pos: usize) -> Result<Node> {
        let mut args = Vec::new();
        let mut partial = false;
        if !self.is_op(")") {
            loop {
                if self.is_op("?")
                    && matches!(
                        self.toks.get(self.i + 1).map(|t| &t.tok),
                        Some(Tok::Op(",")) | Some(Tok::Op(")"))
                    )
                {
                    let p = self.next().pos;
                    args.push(Node::new(Kind::Placeholder, p));
                    partial = true;
                } else {
                    args.push(self.expression(0)?);
                }
                if !self.is_op(",") {
                    break;
                }
                self.next();
            }
        }
        self.expect(")")?;
        let is_lambda = matches!(&left.kind, Kind::Name(n) if n == "function" || n == "λ");
        if !is_lambda {
            return Ok(Node::new(
                Kind::Call {
                    proc: Box::new(left),
                    args,
                    partial,
                },
                pos,
            ));
        }
        let mut params = Vec::new();
        for a in &args {
            match &a.kind {
                Kind::Var(v) => params.push(v.clone()),
                _ => {
                    return err(
                        "S0208",
                        Some(a.pos),
                        "Parameter of function definition must be a variable name (start with $)",
                    )
                }
            }
        }
        let mut sig = None;
        if self.is_op("<") {
            // The signature's raw text runs to the matching `>`.
            let start = self.peek().pos;
            let mut depth = 0;
            let mut text = String::new();
            loop {
                let t = self.next();
                match &t.tok {
                    Tok::Op("<") => depth += 1,
                    Tok::Op(">") => depth -= 1,
                    Tok::End => {
                        return err("S0401", Some(start), "Unterminated function signature")
                    }
                    _ => {}
                }
                text.push_str(&describe(&t.tok));
                if depth == 0 {
                    break;
                }
            }
            sig = Some(Arc::new(Signature::parse(&text, start)?));
        }
        self.expect("{")?;
        let body = self.expression(0)?;
        self.expect("}")?;
        Ok(Node::new(
            Kind::Lambda {
                params: Arc::new(params),
                body: Arc::new(body),
                sig,
                thunk: false,
            },
            left.pos,
        ))
    }
}

fn mark_keep_array(n: &mut Node) {
    let mut step = n;
    while let Kind::RawPred(l, _) = &mut step.kind {
        step = l;
    }
    step.ann.keep_array = true;
}

pub fn compile_regex(pattern: &str, flags: &str, pos: usize) -> Result<regex_lite::Regex> {
    let mut prefix = String::new();
    if flags.contains('i') {
        prefix.push_str("(?i)");
    }
    if flags.contains('m') {
        prefix.push_str("(?m)");
    }
    regex_lite::Regex::new(&format!("{prefix}{pattern}")).or_else(|_| {
        err(
            "S0303",
            Some(pos),
            format!("Invalid regular expression: /{pattern}/"),
        )
    })
}
