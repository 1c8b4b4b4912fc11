//! SQS's query endpoint answers in JSON when the request asks for it (`Accept:
//! application/json`): the XML response turned into JSON element by element, as xmltodict
//! reads it (and as LocalStack's AWS-validated query API tests show): an element with text is
//! a string, one without content is `null`, an element with children is an object, a name
//! repeated among siblings becomes an array, and the root's `xmlns` is dropped.
//!
//! The input is always XML stepyard wrote itself (`xml.rs`, `error.rs`): elements, escaped text
//! and the root's namespace attribute, nothing else. Anything else yields `None` and the caller
//! keeps the XML.

use super::Encoded;
use bytes::Bytes;
use serde_json::{Map, Value};

pub const CONTENT_TYPE: &str = "application/json";

/// Re-encodes an XML response as JSON; leaves it untouched if it is not XML we can read.
pub fn encode(encoded: Encoded) -> Encoded {
    // Only whole documents: the bare `<UnknownOperationException/>` 404 stays as AWS sends it.
    if !encoded.body.starts_with(b"<?xml") {
        return encoded;
    }
    let Some(json) = std::str::from_utf8(&encoded.body).ok().and_then(to_json) else {
        return encoded;
    };
    Encoded {
        content_type: CONTENT_TYPE,
        body: Bytes::from(json.to_string()),
        ..encoded
    }
}

/// `<a><b>x</b><b>y</b><c/></a>` -> `{"a": {"b": ["x", "y"], "c": null}}`.
pub fn to_json(xml: &str) -> Option<Value> {
    let mut rest = xml.trim_start();
    if let Some(after) = rest.strip_prefix("<?") {
        rest = &after[after.find("?>")? + 2..];
    }
    let mut parser = Parser { rest };
    let (name, value) = parser.element()?;
    if !parser.rest.trim().is_empty() {
        return None;
    }
    let mut root = Map::new();
    root.insert(name, value);
    Some(Value::Object(root))
}

struct Parser<'a> {
    rest: &'a str,
}

impl Parser<'_> {
    /// One element starting at `<`; returns its name and value.
    fn element(&mut self) -> Option<(String, Value)> {
        let after = self.rest.strip_prefix('<')?;
        let end = after.find('>')?;
        let tag = &after[..end];
        self.rest = &after[end + 1..];
        let (tag, empty) = match tag.strip_suffix('/') {
            Some(t) => (t, true),
            None => (tag, false),
        };
        // Attributes (only the root's xmlns is ever written) are dropped.
        let name = tag.split_whitespace().next()?.to_string();
        if empty {
            return Some((name, Value::Null));
        }
        let close = format!("</{name}>");
        if self.rest.starts_with('<') && !self.rest.starts_with(&close) {
            let mut children = Map::new();
            while !self.rest.starts_with(&close) {
                let (child, value) = self.element()?;
                match children.get_mut(&child) {
                    Some(Value::Array(items)) => items.push(value),
                    Some(existing) => {
                        let first = existing.take();
                        *existing = Value::Array(vec![first, value]);
                    }
                    None => {
                        children.insert(child, value);
                    }
                }
            }
            self.rest = &self.rest[close.len()..];
            return Some((name, Value::Object(children)));
        }
        let end = self.rest.find(&close)?;
        let text = &self.rest[..end];
        self.rest = &self.rest[end + close.len()..];
        if text.contains('<') {
            return None;
        }
        let value = if text.is_empty() {
            Value::Null
        } else {
            Value::String(unescape(text))
        };
        Some((name, value))
    }
}

fn unescape(text: &str) -> String {
    if !text.contains('&') {
        return text.to_string();
    }
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&#xD;", "\r")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn elements_become_objects_strings_nulls_and_arrays() {
        let xml = "<?xml version=\"1.0\"?><ReceiveMessageResponse xmlns=\"http://q\"><ReceiveMessageResult><Message><Body>a &amp; &lt;b&gt;</Body></Message><Message><Body>c</Body></Message></ReceiveMessageResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></ReceiveMessageResponse>";
        assert_eq!(
            to_json(xml),
            Some(json!({"ReceiveMessageResponse": {
                "ReceiveMessageResult": {"Message": [{"Body": "a & <b>"}, {"Body": "c"}]},
                "ResponseMetadata": {"RequestId": "r"}}}))
        );
        assert_eq!(
            to_json("<E><Error><Detail/><Code></Code></Error></E>"),
            Some(json!({"E": {"Error": {"Detail": null, "Code": null}}}))
        );
        assert_eq!(
            to_json("<UnknownOperationException/>"),
            Some(json!({"UnknownOperationException": null}))
        );
        assert_eq!(to_json("not xml"), None);
    }
}
