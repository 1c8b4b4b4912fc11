//! AssumeRole: temporary credentials for any well-formed role ARN (there is no IAM here, so
//! every role exists and trusts every caller). Requests signed with the returned access key
//! act in the role's account (see `sessions.rs`).

use super::arn::RoleArn;
use super::sessions::{Session, TEMPORARY_KEY_PREFIX};
use super::{Inner, StsError};
use crate::request::RequestContext;
use serde::Deserialize;
use sha1::{Digest, Sha1};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct AssumeRoleInput {
    role_arn: String,
    role_session_name: String,
    /// The model bounds it to 900..=43200; the role's own MaxSessionDuration (one hour by
    /// default on AWS) is not known here, so the model's bounds are the only check.
    duration_seconds: Option<u64>,
    source_identity: Option<String>,
}

const DEFAULT_DURATION_SECONDS: u64 = 3600;

pub(super) fn assume_role(
    sts: &Inner,
    _ctx: &RequestContext,
    input: AssumeRoleInput,
) -> Result<AssumedRole, StsError> {
    let role = RoleArn::parse(&input.role_arn).ok_or(StsError::InvalidRoleArn)?;
    let session_name = &input.role_session_name;
    let role_id = format!(
        "AROA{}",
        base32_upper(&Sha1::digest(input.role_arn.as_bytes()), 17)
    );
    let user_id = format!("{role_id}:{session_name}");
    let arn = format!(
        "arn:{}:sts::{}:assumed-role/{}/{session_name}",
        role.partition, role.account_id, role.name
    );
    let now = sts.clock.now_millis();
    let duration = input.duration_seconds.unwrap_or(DEFAULT_DURATION_SECONDS);
    let expires_at = now + duration * 1000;
    let access_key_id = format!(
        "{TEMPORARY_KEY_PREFIX}{}",
        base32_upper(uuid::Uuid::new_v4().as_bytes(), 16)
    );
    let secret_access_key = random_text(40);
    let session_token = random_text(356);
    sts.sessions.insert(
        access_key_id.clone(),
        Session {
            account_id: role.account_id.to_string(),
            arn: arn.clone(),
            user_id: user_id.clone(),
            expires_at,
            secret_access_key: secret_access_key.clone(),
        },
        now,
    );
    Ok(AssumedRole {
        credentials: Credentials {
            access_key_id,
            secret_access_key,
            session_token,
            expiration: expires_at / 1000,
        },
        assumed_role_user: AssumedRoleUser {
            assumed_role_id: user_id,
            arn,
        },
        source_identity: input.source_identity,
    })
}

#[derive(serde::Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct AssumedRole {
    credentials: Credentials,
    assumed_role_user: AssumedRoleUser,
    #[serde(skip_serializing_if = "Option::is_none")]
    source_identity: Option<String>,
}

#[derive(serde::Serialize)]
#[serde(rename_all = "PascalCase")]
struct Credentials {
    access_key_id: String,
    secret_access_key: String,
    session_token: String,
    /// Whole seconds, as AWS writes them (`2026-01-01T12:00:00Z`).
    expiration: u64,
}

#[derive(serde::Serialize)]
#[serde(rename_all = "PascalCase")]
struct AssumedRoleUser {
    assumed_role_id: String,
    arn: String,
}

const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// `len` characters of RFC 4648 base32 (the alphabet of AWS's key and principal ids) from
/// `bytes`, five bits at a time.
fn base32_upper(bytes: &[u8], len: usize) -> String {
    let mut out = String::with_capacity(len);
    let (mut acc, mut bits) = (0u32, 0u32);
    for &b in bytes {
        if out.len() == len {
            break;
        }
        acc = (acc << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 && out.len() < len {
            bits -= 5;
            out.push(char::from(BASE32[((acc >> bits) & 31) as usize]));
        }
        acc &= (1 << bits) - 1;
    }
    out
}

/// Random base64-alphabet text of `len` characters, for secrets and session tokens.
fn random_text(len: usize) -> String {
    use base64::Engine;
    let mut out = String::with_capacity(len + 24);
    while out.len() < len {
        out.push_str(
            &base64::engine::general_purpose::STANDARD_NO_PAD
                .encode(uuid::Uuid::new_v4().as_bytes()),
        );
    }
    out.truncate(len);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_use_aws_key_alphabet_and_length() {
        let id = base32_upper(&[0xff; 20], 17);
        assert_eq!(id, "77777777777777777");
        assert_eq!(base32_upper(&[0; 16], 16), "AAAAAAAAAAAAAAAA");
        assert_eq!(random_text(40).len(), 40);
    }
}
