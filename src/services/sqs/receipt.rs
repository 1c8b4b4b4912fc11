//! Receipt handles are self-describing (base64 of a nonce, the queue ARN, the message's queue
//! id and the receive generation), so no per-handle table is kept: memory returns to baseline
//! once messages are deleted, and a handle from another queue or a forged one is recognised.

use super::errors::SqsError;
use base64::Engine;

pub fn encode(queue_arn: &str, id: u64, seq: u32) -> String {
    let nonce = uuid::Uuid::new_v4().simple();
    base64::engine::general_purpose::STANDARD.encode(format!("{nonce} {queue_arn} {id} {seq}"))
}

/// (queue id, generation) if `handle` was issued by the queue `queue_arn`.
pub fn decode(handle: &str, queue_arn: &str) -> Result<(u64, u32), SqsError> {
    let invalid = || SqsError::ReceiptHandleIsInvalid(handle.to_string());
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(handle)
        .map_err(|_| invalid())?;
    let text = String::from_utf8(bytes).map_err(|_| invalid())?;
    let mut parts = text.split(' ');
    let (Some(_nonce), Some(arn), Some(id), Some(seq), None) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return Err(invalid());
    };
    if arn != queue_arn {
        return Err(invalid());
    }
    Ok((
        id.parse().map_err(|_| invalid())?,
        seq.parse().map_err(|_| invalid())?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_other_queues() {
        let h = encode("arn:aws:sqs:us-east-1:0:q", 7, 2);
        assert_eq!(decode(&h, "arn:aws:sqs:us-east-1:0:q"), Ok((7, 2)));
        assert!(decode(&h, "arn:aws:sqs:us-east-1:0:other").is_err());
        assert_eq!(
            decode("garbage", "x").unwrap_err().to_string(),
            "The input receipt handle \"garbage\" is not a valid receipt handle."
        );
    }
}
