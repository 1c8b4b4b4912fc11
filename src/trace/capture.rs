//! The members a call's span keeps (see `calls::Seen`), read from a handler's typed output by
//! walking it with a serde `Serializer` that looks only at those members: nothing is written,
//! and the members the span does not keep (an execution's input and output, a message's
//! attributes) are never visited. Reading them from the output's JSON text scanned all of it:
//! about ten thousand instructions for a StartSyncExecution answer.
//!
//! Only a struct of plain members is read this way. Anything else (a map, an output with
//! `Entries`, whose entries the span keeps too) is refused, and the caller reads the text.

use super::calls::TEXT_MEMBERS;
use serde::ser::{self, Impossible, Serialize, SerializeStruct, Serializer};

/// The text members of `output` in [`TEXT_MEMBERS`]'s order; `None` when it is not a struct
/// this reads (the caller then reads its JSON text).
pub fn capture<T: Serialize + ?Sized>(output: &T) -> Option<Found> {
    output.serialize(Output).ok()
}

/// Why an output was not read here: any shape but a struct of plain members.
#[derive(Debug)]
pub struct Refused;

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("not a struct of plain members")
    }
}

impl std::error::Error for Refused {}

impl ser::Error for Refused {
    fn custom<T: std::fmt::Display>(_: T) -> Self {
        Refused
    }
}

pub type Found = [Option<String>; TEXT_MEMBERS.len()];

/// Every serializer method but the ones named: refused.
macro_rules! refuse {
    ($($method:ident($($arg:ty),*)),* $(,)?) => {
        $(fn $method(self, $(_: $arg),*) -> Result<Self::Ok, Refused> {
            Err(Refused)
        })*
    };
}

macro_rules! refuse_compound {
    () => {
        type SerializeSeq = Impossible<Self::Ok, Refused>;
        type SerializeTuple = Impossible<Self::Ok, Refused>;
        type SerializeTupleStruct = Impossible<Self::Ok, Refused>;
        type SerializeTupleVariant = Impossible<Self::Ok, Refused>;
        type SerializeMap = Impossible<Self::Ok, Refused>;
        type SerializeStructVariant = Impossible<Self::Ok, Refused>;

        fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, Refused> {
            Err(Refused)
        }
        fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, Refused> {
            Err(Refused)
        }
        fn serialize_tuple_struct(
            self,
            _: &'static str,
            _: usize,
        ) -> Result<Self::SerializeTupleStruct, Refused> {
            Err(Refused)
        }
        fn serialize_tuple_variant(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: usize,
        ) -> Result<Self::SerializeTupleVariant, Refused> {
            Err(Refused)
        }
        fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, Refused> {
            Err(Refused)
        }
        fn serialize_struct_variant(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: usize,
        ) -> Result<Self::SerializeStructVariant, Refused> {
            Err(Refused)
        }
        fn serialize_newtype_variant<T: Serialize + ?Sized>(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: &T,
        ) -> Result<Self::Ok, Refused> {
            Err(Refused)
        }
        refuse!(
            serialize_bool(bool),
            serialize_i8(i8),
            serialize_i16(i16),
            serialize_i32(i32),
            serialize_i64(i64),
            serialize_u8(u8),
            serialize_u16(u16),
            serialize_u32(u32),
            serialize_u64(u64),
            serialize_f32(f32),
            serialize_f64(f64),
            serialize_char(char),
            serialize_bytes(&[u8]),
            serialize_unit(),
            serialize_unit_struct(&'static str),
            serialize_unit_variant(&'static str, u32, &'static str),
        );
    };
}

/// The output itself: a struct, or a newtype around one.
struct Output;

impl Serializer for Output {
    type Ok = Found;
    type Error = Refused;
    type SerializeStruct = Members;
    refuse_compound!();
    refuse!(serialize_str(&str), serialize_none());

    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Members, Refused> {
        Ok(Members(Default::default()))
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<Found, Refused> {
        value.serialize(self)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<Found, Refused> {
        value.serialize(self)
    }
}

/// The output's members: the kept ones read as text, the others skipped unvisited.
struct Members(Found);

impl SerializeStruct for Members {
    type Ok = Found;
    type Error = Refused;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Refused> {
        if key == "Entries" {
            return Err(Refused);
        }
        if let Some(at) = TEXT_MEMBERS.iter().position(|m| *m == key) {
            self.0[at] = value.serialize(Text)?;
        }
        Ok(())
    }

    fn end(self) -> Result<Found, Refused> {
        Ok(self.0)
    }
}

/// A kept member's value: text, or absent.
struct Text;

impl Serializer for Text {
    type Ok = Option<String>;
    type Error = Refused;
    type SerializeStruct = Impossible<Option<String>, Refused>;
    refuse_compound!();

    fn serialize_str(self, text: &str) -> Result<Option<String>, Refused> {
        Ok(Some(text.to_string()))
    }

    fn serialize_none(self) -> Result<Option<String>, Refused> {
        Ok(None)
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<Option<String>, Refused> {
        value.serialize(self)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<Option<String>, Refused> {
        value.serialize(self)
    }

    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeStruct, Refused> {
        Err(Refused)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Serialize;

    #[derive(Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct Sent {
        #[serde(skip_serializing_if = "Option::is_none")]
        sequence_number: Option<String>,
        message_id: String,
        #[serde(rename = "MD5OfMessageBody")]
        md5: String,
        attributes: Vec<u32>,
    }

    #[derive(Serialize)]
    struct Put {
        #[serde(rename = "FailedEntryCount")]
        failed: u32,
        #[serde(rename = "Entries")]
        entries: Vec<u32>,
    }

    #[test]
    fn a_typed_output_gives_the_members_its_json_text_would() {
        let sent = Sent {
            sequence_number: None,
            message_id: "5fea7756-0ea4-451a-a703-a558b933e274".into(),
            md5: "x".into(),
            attributes: vec![1, 2],
        };
        let found = capture(&sent).expect("a struct of plain members");
        assert_eq!(found[0].as_deref(), Some(sent.message_id.as_str()));
        assert!(found[1..].iter().all(Option::is_none), "{found:?}");
        let sent = Sent {
            sequence_number: Some("1000".into()),
            ..sent
        };
        assert_eq!(capture(&sent).unwrap()[1].as_deref(), Some("1000"));
        // Outputs with entries, maps and values are left to the text.
        assert!(capture(&Put {
            failed: 0,
            entries: vec![]
        })
        .is_none());
        assert!(capture(&serde_json::json!({"MessageId": "m"})).is_none());
        assert!(capture(&std::collections::BTreeMap::<String, String>::new()).is_none());
    }
}
