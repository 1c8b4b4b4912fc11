//! Pattern text -> compiled rule, following event-ruler's JsonRuleCompiler token by token so
//! that every refusal carries the message and location AWS reports.
//!
//! A pattern compiles to a list of *sub-rules* (one per `$or` branch combination); each maps a
//! field path (keys joined with `.`) to the conditions any one of which that field must meet.

use std::collections::BTreeMap;

use super::cidr::{self, IpRange};
use super::json::{location_at, LexError, Lexer, Tok};
use super::matcher::{fold, Matcher, Range};
use super::number::{comparable, Precision};
use super::wildcard::{self, Wildcard};

/// Which service's rules apply: SNS filter policies accept a smaller operator set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    EventBridge,
    Sns,
}

impl Dialect {
    /// How the dialect's numbers compare (see `number.rs`).
    fn precision(self) -> Precision {
        match self {
            Dialect::EventBridge => Precision::EventRuler,
            Dialect::Sns => Precision::Sns,
        }
    }
}

pub(crate) type SubRule = BTreeMap<String, Vec<Matcher>>;

const OR: &str = "$or";

/// Names that may not be field names inside `$or`, and whose presence as the first key of a
/// `$or` element means the `$or` is an ordinary field holding match expressions.
const RESERVED: &[&str] = &[
    "exactly",
    "equals-ignore-case",
    "prefix",
    "suffix",
    "anything-but",
    "exists",
    "wildcard",
    "numeric",
    "cidr",
    "=",
    "<",
    "<=",
    ">",
    ">=",
    "regex",
    "not-wildcard",
    "not-equals-ignore-case",
    "date-after",
    "date-on-or-after",
    "date-before",
    "date-on-or-before",
    "in-date-range",
    "ip-address-in-range",
    "ip-address-not-in-range",
];

const TOO_COMPLEX: &str = "Rule is too complex - try using fewer wildcard characters or fewer repeating character sequences after a wildcard character";

pub(crate) fn compile(src: &str, dialect: Dialect) -> Result<Vec<SubRule>, String> {
    let mut c = Compiler {
        src,
        lx: Lexer::new(src),
        dialect,
    };
    let rules = c.document()?;
    check_wildcard_complexity(&rules)?;
    Ok(rules)
}

/// event-ruler refuses a field whose wildcard patterns are too expensive to run.
fn check_wildcard_complexity(rules: &[SubRule]) -> Result<(), String> {
    let mut by_path: BTreeMap<&str, Vec<&Wildcard>> = BTreeMap::new();
    for rule in rules {
        for (path, matchers) in rule {
            for m in matchers {
                if let Matcher::Wildcard(w) = m {
                    by_path.entry(path.as_str()).or_default().push(w);
                }
            }
        }
    }
    for patterns in by_path.values() {
        if wildcard::complexity(patterns, wildcard::MAX_COMPLEXITY) > wildcard::MAX_COMPLEXITY {
            return Err(TOO_COMPLEX.to_string());
        }
    }
    Ok(())
}

#[derive(Clone, Copy, PartialEq)]
enum ButKind {
    Plain,
    IgnoreCase,
    Prefix,
    Suffix,
    Wildcard,
}

struct Compiler<'a> {
    src: &'a str,
    lx: Lexer<'a>,
    dialect: Dialect,
}

type R<T> = Result<T, String>;

impl<'a> Compiler<'a> {
    /// A refusal at the parser's current location (event-ruler's `barf`).
    fn barf(&self, msg: &str) -> String {
        format!("{msg}\n at {}", self.lx.location())
    }

    fn lex(&self, e: LexError) -> String {
        format!("{}\n at {}", e.message, location_at(self.src, e.pos))
    }

    fn next(&mut self) -> R<Tok> {
        self.lx.next().map_err(|e| self.lex(e))
    }

    fn text(&mut self) -> R<String> {
        self.lx.text().map_err(|e| self.lex(e))
    }

    fn document(&mut self) -> R<Vec<SubRule>> {
        if self.next()? != Tok::StartObject {
            return Err(self.barf("Filter is not an object"));
        }
        let mut rules = Vec::new();
        let mut path = Vec::new();
        self.object(&mut rules, &mut path, false)?;
        // Like event-ruler, whatever follows the top-level object is never read.
        Ok(rules)
    }

    fn object(&mut self, rules: &mut Vec<SubRule>, path: &mut Vec<String>, in_or: bool) -> R<()> {
        let mut any = false;
        loop {
            let name = match self.next()? {
                Tok::EndObject => break,
                Tok::FieldName(n) => n,
                _ => return Err(self.barf("Field name not found")),
            };
            any = true;
            if name == OR && self.is_or_relationship() {
                self.or_relationship(rules, path)?;
                continue;
            }
            if in_or && RESERVED.contains(&name.as_str()) {
                return Err(self.barf(&format!(
                    "{name} is Ruler reserved fieldName which cannot be used inside {OR}."
                )));
            }
            match self.next()? {
                Tok::StartObject => {
                    path.push(name);
                    self.object(rules, path, in_or)?;
                    path.pop();
                }
                Tok::StartArray => {
                    let full = path
                        .iter()
                        .chain(std::iter::once(&name))
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(".");
                    self.values(rules, full)?;
                }
                _ => return Err(self.barf(&format!("\"{name}\" must be an object or an array"))),
            }
        }
        if !any {
            return Err(self.barf("Empty objects are not allowed"));
        }
        Ok(())
    }

    /// Whether the `$or` just read is an OR of at least two sub-patterns. Anything else (one
    /// element, non-objects, or objects that are match expressions such as `{"numeric": ..}`)
    /// keeps `$or` as an ordinary field name, as event-ruler does for rules written before
    /// `$or` existed.
    fn is_or_relationship(&self) -> bool {
        let mut lx = self.lx.clone();
        let Ok(Tok::StartArray) = lx.next() else {
            return false;
        };
        let mut count = 0;
        loop {
            match lx.next() {
                Ok(Tok::EndArray) => break,
                Ok(Tok::StartObject) => {
                    match lx.next() {
                        Ok(Tok::FieldName(k)) if !RESERVED.contains(&k.as_str()) => {}
                        _ => return false,
                    }
                    if !skip_rest_of_object(&mut lx) {
                        return false;
                    }
                    count += 1;
                }
                _ => return false,
            }
        }
        count >= 2
    }

    fn or_relationship(&mut self, rules: &mut Vec<SubRule>, path: &mut Vec<String>) -> R<()> {
        let before = std::mem::take(rules);
        if self.next()? != Tok::StartArray {
            return Err(self.barf(&format!("It must be an Array followed with {OR}.")));
        }
        loop {
            match self.next()? {
                Tok::EndArray => break,
                Tok::StartObject => {
                    let mut branch = before.clone();
                    if branch.is_empty() {
                        branch.push(SubRule::new());
                    }
                    self.object(&mut branch, path, true)?;
                    rules.extend(branch);
                }
                _ => {
                    return Err(self.barf(&format!(
                        "Only JSON object is allowed in array of {OR} relationship."
                    )))
                }
            }
        }
        Ok(())
    }

    /// The array of conditions for one field; later occurrences of a field replace earlier.
    fn values(&mut self, rules: &mut Vec<SubRule>, name: String) -> R<()> {
        let mut values = Vec::new();
        loop {
            match self.next()? {
                Tok::EndArray => break,
                Tok::StartObject => values.push(self.match_expression()?),
                Tok::Str => {
                    let text = self.text()?;
                    values.push(match cidr::exact_ip(&text) {
                        Some(ip) => Matcher::Ip(ip),
                        None => Matcher::Exact(text),
                    });
                }
                Tok::Number { text, .. } => values.push(Matcher::ExactNumber {
                    units: comparable(&text, self.dialect.precision()).ok(),
                    text,
                    precision: self.dialect.precision(),
                }),
                Tok::True => values.push(Matcher::Bool(true)),
                Tok::False => values.push(Matcher::Bool(false)),
                Tok::Null => values.push(Matcher::Null),
                _ => {
                    return Err(
                        self.barf("Match value must be String, number, true, false, or null")
                    )
                }
            }
        }
        if values.is_empty() {
            return Err(self.barf("Empty arrays are not allowed"));
        }
        if rules.is_empty() {
            rules.push(SubRule::new());
        }
        for rule in rules.iter_mut() {
            rule.insert(name.clone(), values.clone());
        }
        Ok(())
    }

    fn end_of_expression(&mut self) -> R<()> {
        if self.next()? != Tok::EndObject {
            return Err(self.barf("Only one key allowed in match expression"));
        }
        Ok(())
    }

    fn string_operand(&mut self, what: &str) -> R<String> {
        if self.next()? != Tok::Str {
            return Err(self.barf(&format!("{what} match pattern must be a string")));
        }
        self.text()
    }

    fn match_expression(&mut self) -> R<Matcher> {
        let op = match self.next()? {
            Tok::FieldName(n) => n,
            _ => return Err(self.barf("Match expression name not found")),
        };
        match op.as_str() {
            "prefix" | "suffix" => {
                let tok = self.next()?;
                if tok == Tok::StartObject {
                    return self.ignore_case_affix(&op);
                }
                if tok != Tok::Str {
                    return Err(self.barf(&format!("{op} match pattern must be a string")));
                }
                let text = self.text()?;
                self.end_of_expression()?;
                Ok(if op == "prefix" {
                    Matcher::Prefix(text)
                } else {
                    Matcher::Suffix(text)
                })
            }
            "numeric" => {
                if self.next()? != Tok::StartArray {
                    return Err(self.barf("Value of numeric must be an array."));
                }
                let range = self.numeric()?;
                if self.next()? != Tok::EndObject {
                    return Err(self.barf("Too many elements in numeric expression"));
                }
                Ok(Matcher::Numeric(range))
            }
            "anything-but" => self.anything_but(),
            "exists" => {
                let m = match self.next()? {
                    Tok::True => Matcher::Exists,
                    Tok::False => Matcher::Absent,
                    _ => {
                        return Err(self.barf("exists match pattern must be either true or false."))
                    }
                };
                self.end_of_expression()?;
                Ok(m)
            }
            "cidr" => {
                let text = self.string_operand("prefix")?;
                // event-ruler throws these without a location.
                let range: IpRange = cidr::cidr(&text)?;
                self.end_of_expression()?;
                Ok(Matcher::Cidr(range))
            }
            "equals-ignore-case" => {
                let text = self.string_operand("equals-ignore-case")?;
                self.end_of_expression()?;
                Ok(Matcher::EqualsIgnoreCase(fold(&text)))
            }
            "wildcard" => {
                let text = self.string_operand("wildcard")?;
                let w = Wildcard::parse(&text).map_err(|m| self.barf(&m))?;
                self.end_of_expression()?;
                Ok(Matcher::Wildcard(w))
            }
            _ => Err(self.barf(&format!("Unrecognized match type {op}"))),
        }
    }

    /// `{"prefix": {"equals-ignore-case": ".."}}` and its suffix twin.
    fn ignore_case_affix(&mut self, op: &str) -> R<Matcher> {
        let title = if op == "prefix" { "Prefix" } else { "Suffix" };
        let inner = match self.next()? {
            Tok::FieldName(n) => n,
            _ => return Err(self.barf(&format!("{title} expression name not found"))),
        };
        if inner != "equals-ignore-case" {
            return Err(self.barf(&format!("Unsupported {op} pattern: {inner}")));
        }
        let text = self.string_operand("equals-ignore-case")?;
        self.end_of_expression()?;
        self.end_of_expression()?;
        let folded = fold(&text);
        Ok(if op == "prefix" {
            Matcher::PrefixIgnoreCase(folded)
        } else {
            Matcher::SuffixIgnoreCase(folded)
        })
    }

    fn anything_but(&mut self) -> R<Matcher> {
        let mut kind = ButKind::Plain;
        let mut tok = self.next()?;
        if tok == Tok::StartObject {
            let inner = match self.next()? {
                Tok::FieldName(n) => n,
                _ => return Err(self.barf("Anything-But expression name not found")),
            };
            kind = match (inner.as_str(), self.dialect) {
                ("prefix", _) => ButKind::Prefix,
                ("equals-ignore-case", Dialect::EventBridge) => ButKind::IgnoreCase,
                ("suffix", Dialect::EventBridge) => ButKind::Suffix,
                ("wildcard", Dialect::EventBridge) => ButKind::Wildcard,
                _ => return Err(self.barf(&format!("Unsupported anything-but pattern: {inner}"))),
            };
            tok = self.next()?;
            // SNS's matcher takes exactly one prefix string here.
            if self.dialect == Dialect::Sns && kind == ButKind::Prefix && tok != Tok::Str {
                return Err(self.barf("prefix match pattern must be a string"));
            }
        }
        if !matches!(tok, Tok::StartArray | Tok::Str | Tok::Number { .. }) {
            return Err(
                self.barf("Value of anything-but must be an array or single string/number value.")
            );
        }
        let m = match (tok == Tok::StartArray, kind) {
            (true, ButKind::Plain) => self.but_list()?,
            (true, kind) => self.but_set_list(kind)?,
            (false, ButKind::Plain) => self.but_single(tok)?,
            (false, kind) => self.but_set_single(tok, kind)?,
        };
        if self.next()? != Tok::EndObject {
            return Err(self.barf("Too many elements in numeric expression"));
        }
        if kind != ButKind::Plain && self.next()? != Tok::EndObject {
            return Err(self.barf("Too many elements in numeric expression"));
        }
        Ok(m)
    }

    /// event-ruler re-raises problems found inside anything-but lists, so their messages
    /// carry the location twice.
    fn barf_twice(&self, msg: &str) -> String {
        let once = self.barf(msg);
        self.barf(&once)
    }

    fn but_list(&mut self) -> R<Matcher> {
        let (mut strings, mut numbers) = (Vec::new(), Vec::new());
        loop {
            match self.next()? {
                Tok::EndArray => break,
                Tok::Str => strings.push(self.text()?),
                Tok::Number { text, .. } => match comparable(&text, self.dialect.precision()) {
                    Ok(v) => numbers.push(v),
                    Err(e) => return Err(self.barf(&e.message(&text))),
                },
                _ => {
                    return Err(self.barf_twice(
                        "Inside anything but list, start|null|boolean is not supported.",
                    ))
                }
            }
        }
        if strings.is_empty() == numbers.is_empty() {
            return Err(self.barf(
                "Inside anything but list, either all values are number or string, mixed type is not supported",
            ));
        }
        Ok(Matcher::AnythingBut {
            strings,
            numbers,
            precision: self.dialect.precision(),
        })
    }

    fn but_single(&mut self, tok: Tok) -> R<Matcher> {
        match tok {
            Tok::Str => Ok(Matcher::AnythingBut {
                strings: vec![self.text()?],
                numbers: vec![],
                precision: self.dialect.precision(),
            }),
            Tok::Number { text, .. } => match comparable(&text, self.dialect.precision()) {
                Ok(v) => Ok(Matcher::AnythingBut {
                    strings: vec![],
                    numbers: vec![v],
                    precision: self.dialect.precision(),
                }),
                // Thrown outside the parser: no location.
                Err(e) => Err(e.message(&text)),
            },
            _ => Err(self.barf("Inside anything-but list, start|null|boolean is not supported.")),
        }
    }

    fn wrong_set_member(kind: ButKind) -> &'static str {
        match kind {
            ButKind::IgnoreCase => {
                "Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported."
            }
            ButKind::Wildcard => "wildcard match pattern must be a string",
            _ => "prefix/suffix match pattern must be a string",
        }
    }

    fn but_set_list(&mut self, kind: ButKind) -> R<Matcher> {
        let mut values = Vec::new();
        loop {
            match self.next()? {
                Tok::EndArray => break,
                Tok::Str => {
                    let text = self.text()?;
                    if matches!(kind, ButKind::Prefix | ButKind::Suffix) && text.is_empty() {
                        return Err(self.barf_twice("Null prefix/suffix not allowed"));
                    }
                    values.push(text);
                }
                _ => return Err(self.barf_twice(Self::wrong_set_member(kind))),
            }
        }
        self.but_set(kind, values)
    }

    fn but_set_single(&mut self, tok: Tok, kind: ButKind) -> R<Matcher> {
        if tok != Tok::Str {
            return Err(self.barf(Self::wrong_set_member(kind)));
        }
        let text = self.text()?;
        if matches!(kind, ButKind::Prefix | ButKind::Suffix) && text.is_empty() {
            return Err(self.barf("Null prefix/suffix not allowed"));
        }
        self.but_set(kind, vec![text])
    }

    fn but_set(&self, kind: ButKind, values: Vec<String>) -> R<Matcher> {
        Ok(match kind {
            ButKind::IgnoreCase => {
                Matcher::AnythingButIgnoreCase(values.iter().map(|v| fold(v)).collect())
            }
            ButKind::Prefix => Matcher::AnythingButPrefix(values),
            ButKind::Suffix => Matcher::AnythingButSuffix(values),
            ButKind::Wildcard => {
                let mut ws = Vec::with_capacity(values.len());
                for v in &values {
                    ws.push(Wildcard::parse(v).map_err(|m| self.barf(&m))?);
                }
                Matcher::AnythingButWildcard(ws)
            }
            ButKind::Plain => Matcher::AnythingBut {
                strings: values,
                numbers: vec![],
                precision: self.dialect.precision(),
            },
        })
    }

    fn number_value(&self, text: &str) -> R<i64> {
        comparable(text, self.dialect.precision()).map_err(|e| self.barf(&e.message(text)))
    }

    /// The inside of `{"numeric": [...]}`, after its `[`.
    fn numeric(&mut self) -> R<Range> {
        if self.next()? != Tok::Str {
            let t = self.text()?;
            return Err(self.barf(&format!("Invalid member in numeric match: {t}")));
        }
        let op = self.text()?;
        let tok = self.next()?;
        match op.as_str() {
            "=" => {
                if !tok.is_number() {
                    return Err(self.barf("Value of equals must be numeric"));
                }
                let val = self.text()?;
                if self.next()? != Tok::EndArray {
                    return Err(self.barf("Too many elements in numeric expression"));
                }
                let v = self.number_value(&val)?;
                Ok(Range {
                    low: Some((v, false)),
                    high: Some((v, false)),
                    precision: self.dialect.precision(),
                })
            }
            ">=" | ">" => {
                if !tok.is_number() {
                    return Err(self.barf(&format!("Value of {op} must be numeric")));
                }
                let bottom = self.text()?;
                let open = op == ">";
                let tok = self.next()?;
                if tok == Tok::EndArray {
                    let v = self.number_value(&bottom)?;
                    return Ok(Range {
                        low: Some((v, open)),
                        high: None,
                        precision: self.dialect.precision(),
                    });
                }
                self.range_top(tok, &bottom, open)
            }
            "<=" | "<" => {
                if !tok.is_number() {
                    return Err(self.barf(&format!("Value of {op} must be numeric")));
                }
                let top = self.text()?;
                if self.next()? != Tok::EndArray {
                    return Err(self.barf("Too many elements in numeric expression"));
                }
                let v = self.number_value(&top)?;
                Ok(Range {
                    low: None,
                    high: Some((v, op == "<")),
                    precision: self.dialect.precision(),
                })
            }
            _ => Err(self.barf(&format!("Unrecognized numeric range operator: {op}"))),
        }
    }

    fn range_top(&mut self, tok: Tok, bottom: &str, open_bottom: bool) -> R<Range> {
        if tok != Tok::Str {
            let t = self.text()?;
            return Err(self.barf(&format!("Bad value in numeric range: {t}")));
        }
        let op = self.text()?;
        let open_top = match op.as_str() {
            "<" => true,
            "<=" => false,
            _ => return Err(self.barf(&format!("Bad numeric range operator: {op}"))),
        };
        if !self.next()?.is_number() {
            return Err(self.barf(&format!("Value of {op} must be numeric")));
        }
        let top = self.text()?;
        if self.next()? != Tok::EndArray {
            return Err(self.barf("Too many terms in numeric range expression"));
        }
        let low = self.number_value(bottom)?;
        let high = self.number_value(&top)?;
        if low >= high {
            return Err(self.barf("Bottom must be less than top"));
        }
        Ok(Range {
            low: Some((low, open_bottom)),
            high: Some((high, open_top)),
            precision: self.dialect.precision(),
        })
    }
}

/// Skips to the end of the object whose first field name was just read.
fn skip_rest_of_object(lx: &mut Lexer<'_>) -> bool {
    let mut depth = 1usize;
    loop {
        match lx.next() {
            Ok(Tok::StartObject) | Ok(Tok::StartArray) => depth += 1,
            Ok(Tok::EndObject) | Ok(Tok::EndArray) => {
                depth -= 1;
                if depth == 0 {
                    return true;
                }
            }
            Ok(Tok::Eof) | Err(_) => return false,
            Ok(_) => {}
        }
    }
}
