//! The digests SQS returns so clients can verify what arrived: MD5 of the body, and MD5 of the
//! message (or system) attributes in AWS's binary encoding: attributes sorted by name (byte
//! order), each as `u32be len + name`, `u32be len + DataType`, one transport byte (1 = String
//! or Number, 2 = Binary), `u32be len + value`.

use super::message_attributes::{AttributeData, AttributeValue};
use md5::{Digest, Md5};

/// The raw digest, for storing per message (16 bytes instead of a 32-character string).
pub fn md5_digest(bytes: &[u8]) -> [u8; 16] {
    Md5::digest(bytes).into()
}

pub fn hex(digest: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(digest.len() * 2);
    for b in digest {
        out.push(DIGITS[(b >> 4) as usize] as char);
        out.push(DIGITS[(b & 0xf) as usize] as char);
    }
    out
}

/// `None` when there are no attributes: AWS then omits the digest field.
pub fn md5_of_attributes<'a>(
    attributes: impl IntoIterator<Item = (&'a String, &'a AttributeValue)>,
) -> Option<String> {
    let mut hasher = Md5::new();
    let mut any = false;
    // Callers iterate a BTreeMap<String, _>, whose order is the byte order AWS sorts by.
    for (name, value) in attributes {
        any = true;
        update_with_length(&mut hasher, name.as_bytes());
        update_with_length(&mut hasher, value.data_type.as_bytes());
        match &value.data {
            AttributeData::Text(text) => {
                hasher.update([1u8]);
                update_with_length(&mut hasher, text.as_bytes());
            }
            AttributeData::Binary(bytes) => {
                hasher.update([2u8]);
                update_with_length(&mut hasher, bytes);
            }
        }
    }
    any.then(|| hex(&hasher.finalize()))
}

fn update_with_length(hasher: &mut Md5, bytes: &[u8]) {
    hasher.update((bytes.len() as u32).to_be_bytes());
    hasher.update(bytes);
}

#[cfg(test)]
mod tests {
    use super::super::message_attributes::parse_message_attributes;
    use super::*;
    use serde_json::Value;

    /// Every vector in the conformance file (AWS-recorded digests).
    #[test]
    fn md5_vectors_from_the_conformance_file_all_match() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../shared/conformance/sqs/md5_vectors.json"
        );
        let Ok(text) = std::fs::read_to_string(path) else {
            eprintln!("skipping: {path} not found");
            return;
        };
        let doc: Value = serde_json::from_str(&text).expect("md5_vectors.json is JSON");
        let mut checked = 0;
        for v in doc["message_attribute_vectors"]
            .as_array()
            .expect("attribute vectors")
        {
            let attrs = parse_message_attributes(Some(&v["MessageAttributes"]))
                .expect("vector attributes are valid");
            assert_eq!(
                md5_of_attributes(&attrs).as_deref(),
                v["MD5OfMessageAttributes"].as_str(),
                "vector {v}"
            );
            checked += 1;
        }
        for v in doc["body_vectors"].as_array().expect("body vectors") {
            let body = v["Body"].as_str().expect("body");
            assert_eq!(
                Some(hex(&md5_digest(body.as_bytes())).as_str()),
                v["MD5OfBody"].as_str()
            );
            checked += 1;
        }
        for v in doc["system_attribute_vectors"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let attrs = parse_message_attributes(Some(&v["MessageSystemAttributes"]))
                .expect("vector attributes");
            assert_eq!(
                md5_of_attributes(&attrs).as_deref(),
                v["MD5OfMessageSystemAttributes"].as_str()
            );
            checked += 1;
        }
        assert!(
            checked >= 25,
            "expected at least 25 vectors, checked {checked}"
        );
    }

    #[test]
    fn no_attributes_means_no_digest() {
        let empty = std::collections::BTreeMap::new();
        assert_eq!(md5_of_attributes(&empty), None);
    }
}
