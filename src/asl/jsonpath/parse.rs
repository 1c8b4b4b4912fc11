//! The path syntax: `$`/`$$`/`$name` roots, `.name`, `['name']`, `[index]`, `[a,b]`, `[*]`,
//! `[start:end]`, `..` deep scan, `[?(...)]` filters, and a final `.length()`.

use serde_json::Value;

use super::{CmpOp, Filter, Operand, PathSyntaxError, Root, Selector, Step};

/// Filters nested deeper than this (`((((...` or `!!!!...`) are refused rather than risk the
/// stack.
const MAX_FILTER_DEPTH: usize = 64;

pub(super) struct Parser<'s> {
    src: &'s str,
    pos: usize,
    depth: usize,
}

impl<'s> Parser<'s> {
    pub(super) fn new(src: &'s str) -> Self {
        Parser {
            src,
            pos: 0,
            depth: 0,
        }
    }

    pub(super) fn error(&self, what: &str) -> PathSyntaxError {
        PathSyntaxError(format!(
            "Invalid JSONPath '{}': {what} at position {}",
            self.src, self.pos
        ))
    }

    fn rest(&self) -> &'s str {
        &self.src[self.pos..]
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    pub(super) fn at_end(&self) -> bool {
        self.pos >= self.src.len()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.pos += c.len_utf8();
            true
        } else {
            false
        }
    }

    pub(super) fn eat_str(&mut self, s: &str) -> bool {
        if self.rest().starts_with(s) {
            self.pos += s.len();
            true
        } else {
            false
        }
    }

    pub(super) fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(c) if c.is_whitespace()) {
            self.bump();
        }
    }

    fn expect(&mut self, c: char) -> Result<(), PathSyntaxError> {
        self.skip_ws();
        if self.eat(c) {
            Ok(())
        } else {
            Err(self.error(&format!("expected '{c}'")))
        }
    }

    pub(super) fn root(&mut self) -> Result<Root, PathSyntaxError> {
        if !self.eat('$') {
            return Err(self.error("a path must start with '$'"));
        }
        if self.eat('$') {
            return Ok(Root::Context);
        }
        let start = self.pos;
        while matches!(self.peek(), Some(c) if c.is_alphanumeric() || c == '_') {
            self.bump();
        }
        if self.pos > start {
            Ok(Root::Variable(self.src[start..self.pos].to_string()))
        } else {
            Ok(Root::Input)
        }
    }

    /// Steps until the end, or (inside a filter) until something that is not a step.
    pub(super) fn steps(&mut self, in_filter: bool) -> Result<Vec<Step>, PathSyntaxError> {
        let mut steps = Vec::new();
        loop {
            if self.rest().starts_with(".length()") && !in_filter {
                // Only valid as the last step; the caller checks nothing follows.
                return Ok(steps);
            }
            if self.eat_str("..") {
                if self.peek() == Some('[') {
                    self.bump();
                    steps.push(Step::Descendant(self.bracket()?));
                } else if self.eat('*') {
                    steps.push(Step::Descendant(Selector::Wildcard));
                } else {
                    let name = self.dot_name()?;
                    steps.push(Step::Descendant(Selector::Name(name)));
                }
            } else if self.eat('.') {
                if self.eat('*') {
                    steps.push(Step::Child(Selector::Wildcard));
                } else {
                    let name = self.dot_name()?;
                    steps.push(Step::Child(Selector::Name(name)));
                }
            } else if self.eat('[') {
                steps.push(Step::Child(self.bracket()?));
            } else {
                return Ok(steps);
            }
        }
    }

    fn dot_name(&mut self) -> Result<String, PathSyntaxError> {
        let start = self.pos;
        while let Some(c) = self.peek() {
            if c == '.' || c == '[' || c.is_whitespace() || "])=!<>&|,".contains(c) {
                break;
            }
            self.bump();
        }
        if self.pos == start {
            return Err(self.error("expected a property name"));
        }
        Ok(self.src[start..self.pos].to_string())
    }

    /// After `[`: a quoted name (or several), `*`, an index (or several), a slice, or a filter.
    fn bracket(&mut self) -> Result<Selector, PathSyntaxError> {
        self.skip_ws();
        let sel = match self.peek() {
            Some('\'') | Some('"') => {
                let mut names = vec![self.quoted()?];
                self.skip_ws();
                while self.eat(',') {
                    self.skip_ws();
                    names.push(self.quoted()?);
                    self.skip_ws();
                }
                if names.len() == 1 {
                    Selector::Name(names.remove(0))
                } else {
                    Selector::Names(names)
                }
            }
            Some('*') => {
                self.bump();
                Selector::Wildcard
            }
            Some('?') => {
                self.bump();
                self.expect('(')?;
                let f = self.filter_or()?;
                self.expect(')')?;
                Selector::Filter(Box::new(f))
            }
            _ => {
                let from = self.opt_int()?;
                self.skip_ws();
                if self.eat(':') {
                    self.skip_ws();
                    let to = self.opt_int()?;
                    Selector::Slice(from, to)
                } else {
                    let Some(first) = from else {
                        return Err(self.error("expected an index, a name, '*' or a filter"));
                    };
                    let mut idx = vec![first];
                    while self.eat(',') {
                        self.skip_ws();
                        idx.push(
                            self.opt_int()?
                                .ok_or_else(|| self.error("expected an index"))?,
                        );
                        self.skip_ws();
                    }
                    if idx.len() == 1 {
                        Selector::Index(first)
                    } else {
                        Selector::Indexes(idx)
                    }
                }
            }
        };
        self.expect(']')?;
        Ok(sel)
    }

    fn opt_int(&mut self) -> Result<Option<i64>, PathSyntaxError> {
        let start = self.pos;
        self.eat('-');
        while matches!(self.peek(), Some(c) if c.is_ascii_digit()) {
            self.bump();
        }
        let text = &self.src[start..self.pos];
        if text.is_empty() {
            return Ok(None);
        }
        text.parse()
            .map(Some)
            .map_err(|_| self.error("invalid index"))
    }

    /// A quoted name: `\` escapes the quote character; other characters are taken as written.
    fn quoted(&mut self) -> Result<String, PathSyntaxError> {
        let Some(q) = self.bump() else {
            return Err(self.error("expected a quote"));
        };
        let mut s = String::new();
        loop {
            match self.bump() {
                None => return Err(self.error("unterminated string")),
                Some(c) if c == q => return Ok(s),
                Some('\\') if self.peek() == Some(q) => {
                    self.bump();
                    s.push(q);
                }
                Some(c) => s.push(c),
            }
        }
    }

    fn filter_or(&mut self) -> Result<Filter, PathSyntaxError> {
        let mut left = self.filter_and()?;
        loop {
            self.skip_ws();
            if self.eat_str("||") {
                let right = self.filter_and()?;
                left = Filter::Or(Box::new(left), Box::new(right));
            } else {
                return Ok(left);
            }
        }
    }

    fn filter_and(&mut self) -> Result<Filter, PathSyntaxError> {
        let mut left = self.filter_unary()?;
        loop {
            self.skip_ws();
            if self.eat_str("&&") {
                let right = self.filter_unary()?;
                left = Filter::And(Box::new(left), Box::new(right));
            } else {
                return Ok(left);
            }
        }
    }

    fn filter_unary(&mut self) -> Result<Filter, PathSyntaxError> {
        if self.depth >= MAX_FILTER_DEPTH {
            return Err(self.error("filter nested too deeply"));
        }
        self.depth += 1;
        let f = self.filter_unary_inner();
        self.depth -= 1;
        f
    }

    fn filter_unary_inner(&mut self) -> Result<Filter, PathSyntaxError> {
        self.skip_ws();
        if self.rest().starts_with('!') && !self.rest().starts_with("!=") {
            self.bump();
            return Ok(Filter::Not(Box::new(self.filter_unary()?)));
        }
        if self.eat('(') {
            let f = self.filter_or()?;
            self.expect(')')?;
            return Ok(f);
        }
        let left = self.operand()?;
        self.skip_ws();
        let op = if self.eat_str("==") {
            CmpOp::Eq
        } else if self.eat_str("!=") {
            CmpOp::Ne
        } else if self.eat_str("<=") {
            CmpOp::Le
        } else if self.eat_str(">=") {
            CmpOp::Ge
        } else if self.eat('<') {
            CmpOp::Lt
        } else if self.eat('>') {
            CmpOp::Gt
        } else {
            return Ok(Filter::Exists(left));
        };
        let right = self.operand()?;
        Ok(Filter::Compare(left, op, right))
    }

    fn operand(&mut self) -> Result<Operand, PathSyntaxError> {
        self.skip_ws();
        match self.peek() {
            Some('@') | Some('$') => {
                let current = self.bump() == Some('@');
                let steps = self.steps(true)?;
                Ok(Operand::Path { current, steps })
            }
            Some('\'') | Some('"') => Ok(Operand::Literal(Value::String(self.quoted()?))),
            _ => {
                for (word, v) in [
                    ("true", Value::Bool(true)),
                    ("false", Value::Bool(false)),
                    ("null", Value::Null),
                ] {
                    if self.eat_str(word) {
                        return Ok(Operand::Literal(v));
                    }
                }
                let start = self.pos;
                while matches!(self.peek(), Some(c) if c.is_ascii_digit() || "+-.eE".contains(c)) {
                    self.bump();
                }
                let text = &self.src[start..self.pos];
                serde_json::from_str::<serde_json::Number>(text)
                    .map(|n| Operand::Literal(Value::Number(n)))
                    .map_err(|_| self.error("expected a value in the filter"))
            }
        }
    }
}
