//! The state document of `GET/POST /_stepyard/state` and `--init-state`: one JSON object,
//!
//! ```json
//! {"version": 1, "exported_at_ms": 1700000000000, "sqs": {"queues": [...]}}
//! ```
//!
//! `version` is required and must be 1. Each service has its own section, made of the same
//! records the data directory stores (see `docs/state.md` for every field). A section left out
//! loads as empty: loading a document replaces the whole state. A document that does not parse,
//! has another version or an unknown section is refused as a whole and changes nothing.

use crate::app::AppState;
use serde_json::{json, Value};

pub const VERSION: u64 = 1;

/// The sections this build reads and writes.
const SECTIONS: &[&str] = &["sqs", "sns", "events", "stepfunctions"];

pub fn export(state: &AppState) -> Value {
    json!({
        "version": VERSION,
        "exported_at_ms": state.clock.now_millis(),
        "sqs": state.sqs.export_state(),
        "sns": state.sns.export_state(),
        "events": state.events.export_state(),
        "stepfunctions": state.sfn.export_state(),
    })
}

/// Checks a whole document, then replaces the state with it.
pub fn import(state: &AppState, document: &Value) -> Result<(), String> {
    let Value::Object(map) = document else {
        return Err("the state document must be a JSON object".into());
    };
    match map.get("version") {
        Some(v) if v.as_u64() == Some(VERSION) => {}
        Some(v) => {
            return Err(format!(
                "state document version {v} is not supported (this build reads version {VERSION})"
            ))
        }
        None => return Err("the state document has no \"version\" (use 1)".into()),
    }
    for key in map.keys() {
        if key != "version" && key != "exported_at_ms" && !SECTIONS.contains(&key.as_str()) {
            return Err(format!(
                "unknown section {key:?} in the state document (known: {})",
                SECTIONS.join(", ")
            ));
        }
    }
    let empty = json!({});
    let sqs = crate::services::sqs::Sqs::parse_state(map.get("sqs").unwrap_or(&empty))?;
    let sns = state.sns.parse_state(map.get("sns").unwrap_or(&empty))?;
    let events = crate::services::events::Events::parse_state(map.get("events").unwrap_or(&empty))?;
    let sfn = crate::services::sfn::Sfn::parse_state(map.get("stepfunctions").unwrap_or(&empty))?;
    state.sqs.import_state(sqs);
    state.sfn.import_state(sfn);
    state.sns.import_state(sns);
    state.events.import_state(events);
    Ok(())
}

/// Reads and parses a state document file (`--init-state`); it is checked when loaded.
pub fn read_file(path: &std::path::Path) -> Result<Value, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read the state document {}: {e}", path.display()))?;
    serde_json::from_str(&text)
        .map_err(|e| format!("the state document {} is not JSON: {e}", path.display()))
}

/// Binary attribute values as base64 strings.
pub mod base64_bytes {
    use base64::Engine;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        base64::engine::general_purpose::STANDARD
            .decode(text)
            .map_err(serde::de::Error::custom)
    }
}

/// A 16-byte digest as 32 hex digits.
pub mod hex16 {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8; 16], s: S) -> Result<S::Ok, S::Error> {
        let text: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        s.serialize_str(&text)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; 16], D::Error> {
        let text = String::deserialize(d)?;
        let invalid = || serde::de::Error::custom(format!("{text:?} is not 32 hex digits"));
        if text.len() != 32 || !text.is_ascii() {
            return Err(invalid());
        }
        let mut out = [0u8; 16];
        for (i, byte) in out.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).map_err(|_| invalid())?;
        }
        Ok(out)
    }
}
