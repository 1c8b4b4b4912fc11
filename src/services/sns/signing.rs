//! Signatures on the JSON documents SNS delivers, made the way SNS makes them: PKCS#1 v1.5 RSA
//! over the canonical "Name\nValue\n" string, SHA1withRSA for `SignatureVersion` 1 (the
//! default) and SHA256withRSA for 2, verifiable with the certificate served at the envelope's
//! `SigningCertURL` (`/_stepyard/sns/SimpleNotificationService-stepyard.pem`).
//!
//! The key pair is fixed and public (`certs/`): stepyard is a local emulator, and a fixed
//! certificate lets a subscriber that caches certificates keep working across restarts. The
//! certificate names `sns.stepyard.local`, so validators that insist on an
//! `sns.<region>.amazonaws.com` certificate URL must be told to accept the local one.
//!
//! Cost: one RSA-2048 private-key operation per signed document (about a millisecond in a
//! release build), made on the topic's delivery worker, never on the Publish call's path. The
//! key is parsed once, on first use.

use base64::Engine;
use rsa::pkcs1v15::SigningKey;
use rsa::pkcs8::DecodePrivateKey;
use rsa::signature::{SignatureEncoding, Signer};
use rsa::RsaPrivateKey;
use std::sync::OnceLock;

/// The certificate subscribers fetch from `SigningCertURL`.
pub const CERTIFICATE_PEM: &str = include_str!("certs/SimpleNotificationService-stepyard.pem");

/// The file name in `SigningCertURL`.
pub const CERTIFICATE_FILE: &str = "SimpleNotificationService-stepyard.pem";

const PRIVATE_KEY_PEM: &str = include_str!("certs/stepyard-sns-key.pem");

/// `SignatureVersion`: which digest goes into the signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureVersion {
    /// SHA1withRSA, SNS's default.
    V1,
    /// SHA256withRSA, chosen with the topic attribute `SignatureVersion=2`.
    V2,
}

impl SignatureVersion {
    /// From the topic's `SignatureVersion` attribute (validated to be 1 or 2 when set).
    pub fn from_attribute(value: Option<&str>) -> Self {
        match value {
            Some("2") => SignatureVersion::V2,
            _ => SignatureVersion::V1,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SignatureVersion::V1 => "1",
            SignatureVersion::V2 => "2",
        }
    }
}

struct Signers {
    v1: SigningKey<sha1::Sha1>,
    v2: SigningKey<sha2::Sha256>,
}

fn signers() -> Option<&'static Signers> {
    // Parsed once (OnceLock: concurrent first uses wait for the one initialisation, no lock
    // is held afterwards). The PEM is compiled in, so a failure is a build defect, reported
    // by leaving documents unsigned (and logged) rather than by a panic in a delivery worker.
    static SIGNERS: OnceLock<Option<Signers>> = OnceLock::new();
    SIGNERS
        .get_or_init(|| match RsaPrivateKey::from_pkcs8_pem(PRIVATE_KEY_PEM) {
            Ok(key) => Some(Signers {
                v1: SigningKey::new(key.clone()),
                v2: SigningKey::new(key),
            }),
            Err(error) => {
                tracing::error!(%error, "the built-in SNS signing key does not parse");
                None
            }
        })
        .as_ref()
}

/// The base64 signature of `canonical` (AWS's "Name\nValue\n" string to sign).
pub fn sign(canonical: &str, version: SignatureVersion) -> String {
    let Some(signers) = signers() else {
        return String::new();
    };
    let signature = match version {
        SignatureVersion::V1 => signers.v1.sign(canonical.as_bytes()).to_vec(),
        SignatureVersion::V2 => signers.v2.sign(canonical.as_bytes()).to_vec(),
    };
    base64::engine::general_purpose::STANDARD.encode(signature)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rsa::pkcs1v15::{Signature, VerifyingKey};
    use rsa::signature::Verifier;

    #[test]
    fn signatures_verify_with_the_public_key_for_both_versions() {
        let public = RsaPrivateKey::from_pkcs8_pem(PRIVATE_KEY_PEM)
            .expect("the built-in key parses")
            .to_public_key();
        let text = "Message\nhello\nMessageId\n1\nTimestamp\nt\nTopicArn\na\nType\nNotification\n";
        let decode = |s: &str| {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(s)
                .expect("base64");
            Signature::try_from(bytes.as_slice()).expect("a signature")
        };
        VerifyingKey::<sha1::Sha1>::new(public.clone())
            .verify(text.as_bytes(), &decode(&sign(text, SignatureVersion::V1)))
            .expect("v1 verifies");
        VerifyingKey::<sha2::Sha256>::new(public.clone())
            .verify(text.as_bytes(), &decode(&sign(text, SignatureVersion::V2)))
            .expect("v2 verifies");
        assert!(VerifyingKey::<sha2::Sha256>::new(public)
            .verify(b"other", &decode(&sign(text, SignatureVersion::V2)))
            .is_err());
    }
}
