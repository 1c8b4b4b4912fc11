//! An operation's output as its handler typed it. It stays typed until the protocol encodes
//! it: the JSON protocols serialise the struct straight into the body (no `Value` is built on
//! the way), the query protocol and in-process callers take its JSON-protocol form as a
//! `Value` (the XML writer is driven by the model's output shape over that form).

use serde::Serialize;
use serde_json::Value;

/// A handler's typed output, ready for whichever protocol answers the call.
pub struct Output(Form);

enum Form {
    Typed(Box<dyn Encode>),
    /// Already written as JSON (a traced call's span read it from this text; the JSON
    /// protocols send it as it is).
    Json(Vec<u8>),
}

/// What the protocols need of a typed output. Implemented for every `Serialize` type; kept
/// private so `Output` is the only way in.
trait Encode: Send {
    fn json(&self) -> Vec<u8>;
    fn value(&self) -> Value;
    /// The members a traced call's span keeps, read without writing the output.
    fn members(&self) -> Option<crate::trace::calls::Members>;
}

impl<T: Serialize + Send> Encode for T {
    fn json(&self) -> Vec<u8> {
        // An output that cannot be written as JSON (a map with non-text keys) is a bug; the
        // answer is then the empty output, as before typed outputs.
        serde_json::to_vec(self).unwrap_or_else(|_| b"{}".to_vec())
    }

    fn value(&self) -> Value {
        serde_json::to_value(self).unwrap_or_else(|_| Value::Object(Default::default()))
    }

    fn members(&self) -> Option<crate::trace::calls::Members> {
        crate::trace::calls::members_of(self)
    }
}

impl Output {
    pub fn new<T: Serialize + Send + 'static>(output: T) -> Self {
        Output(Form::Typed(Box::new(output)))
    }

    /// Writes the output as JSON now, once: a traced call reads its span's members from the
    /// text (without building a `Value`), and the JSON protocols send the same bytes.
    pub fn encoded(self) -> Self {
        match self.0 {
            Form::Typed(typed) => Output(Form::Json(typed.json())),
            json => Output(json),
        }
    }

    /// The members a traced call's span keeps, read from the typed output as it is (`None`
    /// when it is written already, or is not a struct of plain members: read its text then).
    pub fn members(&self) -> Option<crate::trace::calls::Members> {
        match &self.0 {
            Form::Typed(typed) => typed.members(),
            Form::Json(_) => None,
        }
    }

    /// The JSON text, when it is written already (see [`Output::encoded`]).
    pub fn json_text(&self) -> Option<&[u8]> {
        match &self.0 {
            Form::Json(bytes) => Some(bytes),
            Form::Typed(_) => None,
        }
    }

    /// The empty output `{}` (long polls that waited for nothing, operations without output).
    pub fn empty() -> Self {
        Output::new(Empty {})
    }

    /// The JSON-protocol body.
    pub fn to_json(&self) -> Vec<u8> {
        match &self.0 {
            Form::Typed(typed) => typed.json(),
            Form::Json(bytes) => bytes.clone(),
        }
    }

    /// The JSON-protocol body, without a copy when it is written already.
    pub fn into_json(self) -> Vec<u8> {
        match self.0 {
            Form::Typed(typed) => typed.json(),
            Form::Json(bytes) => bytes,
        }
    }

    /// The JSON-protocol form as a `Value`: for the XML writer and in-process callers.
    pub fn to_value(&self) -> Value {
        match &self.0 {
            Form::Typed(typed) => typed.value(),
            // Written by serde_json from a `Serialize`, so it reads back.
            Form::Json(bytes) => {
                serde_json::from_slice(bytes).unwrap_or_else(|_| Value::Object(Default::default()))
            }
        }
    }
}

impl std::fmt::Debug for Output {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Output({})", String::from_utf8_lossy(&self.to_json()))
    }
}

/// A map member written in the order its entries were pushed (system attributes in AWS's
/// order, message attributes in name order), without building a map to write it.
#[derive(Debug, Clone)]
pub struct Pairs<K, V>(pub Vec<(K, V)>);

impl<K, V> Default for Pairs<K, V> {
    fn default() -> Self {
        Pairs(Vec::new())
    }
}

impl<K, V> Pairs<K, V> {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<K: Serialize, V: Serialize> Serialize for Pairs<K, V> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.iter().map(|(k, v)| (k, v)))
    }
}

/// An output without members: `{}` in JSON, an empty result element in XML. Also the input
/// of an operation whose input shape has no members.
#[derive(Serialize, serde::Deserialize, Default, Debug, Clone, Copy)]
pub struct Empty {}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct Sent {
        message_id: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        sequence_number: Option<String>,
        sent: f64,
    }

    #[test]
    fn a_typed_output_writes_the_same_json_as_its_value_form() {
        let output = Output::new(Sent {
            message_id: "m".into(),
            sequence_number: None,
            sent: 1.5,
        });
        assert_eq!(output.to_json(), br#"{"MessageId":"m","Sent":1.5}"#);
        assert_eq!(
            output.to_value(),
            serde_json::json!({"MessageId": "m", "Sent": 1.5})
        );
        assert_eq!(Output::empty().to_json(), b"{}");
    }
}
