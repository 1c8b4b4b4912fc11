//! The members a call's span keeps (see `calls::Seen`), read from a handler's typed output by
//! walking it with a serde `Serializer` that looks only at those members: nothing is written,
//! and the members the span does not keep (an execution's input and output, a message's
//! attributes) are never visited. Reading them from the output's JSON text scanned all of it:
//! about ten thousand instructions for a StartSyncExecution answer.
//!
//! Only a struct of plain members is read this way. Anything else (a map, an output with
//! `Entries`, whose entries the span keeps too) is refused, and the caller reads the text.

use serde::ser::{self, Impossible, Serialize, SerializeStruct, Serializer};

/// The text members a call's span keeps (`calls::Seen` reads them from JSON text), in the
/// order the span keeps them.
pub const TEXT_MEMBERS: [&str; 9] = [
    "MessageId",
    "SequenceNumber",
    "executionArn",
    "stateMachineArn",
    "QueueUrl",
    "TopicArn",
    "SubscriptionArn",
    "RuleArn",
    "EventBusArn",
];

/// A typed output's text members, in [`TEXT_MEMBERS`]' order.
pub type Members = [Option<String>; TEXT_MEMBERS.len()];

/// The text members of `output`; `None` when it is not a struct this reads (the caller then
/// reads its JSON text).
pub fn members_of<T: Serialize + ?Sized>(output: &T) -> Option<Members> {
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

type Found = Members;

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
    type SerializeStruct = StructMembers;
    refuse_compound!();
    refuse!(serialize_str(&str), serialize_none());

    fn serialize_struct(self, _: &'static str, _: usize) -> Result<StructMembers, Refused> {
        Ok(StructMembers(Default::default()))
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
struct StructMembers(Found);

impl SerializeStruct for StructMembers {
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
            self.0[at] = value.serialize(MemberText)?;
        }
        Ok(())
    }

    fn end(self) -> Result<Found, Refused> {
        Ok(self.0)
    }
}

/// A kept member's value: text, or absent.
struct MemberText;

impl Serializer for MemberText {
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
        let found = members_of(&sent).expect("a struct of plain members");
        assert_eq!(found[0].as_deref(), Some(sent.message_id.as_str()));
        assert!(found[1..].iter().all(Option::is_none), "{found:?}");
        let sent = Sent {
            sequence_number: Some("1000".into()),
            ..sent
        };
        assert_eq!(members_of(&sent).unwrap()[1].as_deref(), Some("1000"));
        // Outputs with entries, maps and values are left to the text.
        assert!(members_of(&Put {
            failed: 0,
            entries: vec![]
        })
        .is_none());
        assert!(members_of(&serde_json::json!({"MessageId": "m"})).is_none());
        assert!(members_of(&std::collections::BTreeMap::<String, String>::new()).is_none());
    }
}
