//! Optional SigV4 verification (`--verify-signatures`): a request's `Authorization` header is
//! checked against the secret of its access key, as AWS checks it, and a request that fails
//! gets the error the service itself returns (query services: `SignatureDoesNotMatch`,
//! `InvalidClientTokenId`, ...; JSON services: `InvalidSignatureException`,
//! `UnrecognizedClientException`, ...).
//!
//! Accepted keys: the `--credentials KEY:SECRET` pairs, and the temporary credentials stepyard's
//! own STS AssumeRole handed out (until they expire on the server's clock).
//!
//! Not checked: the request time against the clock (stepyard's clock can be frozen or moved, so
//! `RequestTimeTooSkewed` would refuse every request of a time-travelling test), and presigned
//! (query-string) requests, which are refused with `MissingAuthenticationToken` while
//! verification is on. Off by default: then nothing here runs.

use crate::error::ApiError;
use crate::request::{ServiceId, Session};
use http::{HeaderMap, Method, Uri};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Arc;

const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// The long-term keys signatures are checked against.
#[derive(Clone, Default, Debug)]
pub struct Credentials {
    secrets: HashMap<String, String>,
}

impl Credentials {
    /// Parses `KEY:SECRET` pairs; an error names the first one that is not a pair.
    pub fn parse<'a>(pairs: impl IntoIterator<Item = &'a str>) -> Result<Self, String> {
        let mut secrets = HashMap::new();
        for pair in pairs {
            let pair = pair.trim();
            if pair.is_empty() {
                continue;
            }
            match pair.split_once(':') {
                Some((key, secret)) if !key.is_empty() && !secret.is_empty() => {
                    secrets.insert(key.to_string(), secret.to_string());
                }
                _ => return Err(format!("{pair:?} is not ACCESS_KEY_ID:SECRET_ACCESS_KEY")),
            }
        }
        Ok(Credentials { secrets })
    }

    pub fn is_empty(&self) -> bool {
        self.secrets.is_empty()
    }

    fn secret(&self, key: &str) -> Option<&str> {
        self.secrets.get(key).map(String::as_str)
    }
}

/// What the verifier needs of one request.
pub struct SignedRequest<'a> {
    pub method: &'a Method,
    pub uri: &'a Uri,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
}

/// Why a request was refused, before it is worded for its service.
#[derive(Debug, PartialEq, Eq)]
enum Failure {
    Missing,
    Incomplete(String),
    UnknownKey,
    Expired,
    Mismatch {
        canonical_request: String,
        string_to_sign: String,
    },
}

/// Checks `request`; `session` finds a temporary key's session (AssumeRole) with its secret.
pub fn verify(
    service: ServiceId,
    request: &SignedRequest<'_>,
    credentials: &Credentials,
    session: impl Fn(&str) -> Option<Arc<Session>>,
    now_ms: u64,
) -> Result<(), ApiError> {
    check(request, credentials, session, now_ms).map_err(|f| error_for(service, f))
}

fn check(
    request: &SignedRequest<'_>,
    credentials: &Credentials,
    session: impl Fn(&str) -> Option<Arc<Session>>,
    now_ms: u64,
) -> Result<(), Failure> {
    let Some(auth) = request
        .headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return Err(Failure::Missing);
    };
    let header = parse_authorization(auth)?;
    let mut scope = header.credential.splitn(2, '/');
    let key = scope.next().unwrap_or_default();
    let scope = scope.next().unwrap_or_default();
    if scope.split('/').count() != 4 || !scope.ends_with("/aws4_request") {
        return Err(Failure::Incomplete(format!(
            "Credential should be scoped to a valid region, not '{}'. ",
            scope.split('/').nth(1).unwrap_or_default()
        )));
    }
    let secret = match session(key) {
        Some(s) if s.expires_at <= now_ms => return Err(Failure::Expired),
        Some(s) => s.secret_access_key.clone(),
        None => match credentials.secret(key) {
            Some(secret) => secret.to_string(),
            None => return Err(Failure::UnknownKey),
        },
    };
    let Some(amz_date) = header_text(request.headers, "x-amz-date") else {
        return Err(Failure::Incomplete(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."
                .into(),
        ));
    };
    let signed: Vec<&str> = header.signed_headers.split(';').collect();
    let canonical_request = canonical_request(request, &signed);
    let string_to_sign = format!(
        "{ALGORITHM}\n{amz_date}\n{scope}\n{}",
        hex(&Sha256::digest(canonical_request.as_bytes()))
    );
    let date = scope.split('/').next().unwrap_or_default();
    let mut parts = scope.split('/').skip(1);
    let (region, service) = (
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
    );
    let k_date = hmac(format!("AWS4{secret}").as_bytes(), date.as_bytes());
    let k_region = hmac(&k_date, region.as_bytes());
    let k_service = hmac(&k_region, service.as_bytes());
    let k_signing = hmac(&k_service, b"aws4_request");
    let expected = hex(&hmac(&k_signing, string_to_sign.as_bytes()));
    if constant_time_eq(expected.as_bytes(), header.signature.as_bytes()) {
        Ok(())
    } else {
        Err(Failure::Mismatch {
            canonical_request,
            string_to_sign,
        })
    }
}

struct Authorization<'a> {
    credential: &'a str,
    signed_headers: &'a str,
    signature: &'a str,
}

/// `AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...`; AWS lists every
/// missing part in one message.
fn parse_authorization(auth: &str) -> Result<Authorization<'_>, Failure> {
    let Some(rest) = auth.strip_prefix(ALGORITHM) else {
        return Err(Failure::Incomplete(format!(
            "Authorization header requires the '{ALGORITHM}' algorithm."
        )));
    };
    let field = |name: &str| {
        rest.split(',')
            .map(str::trim)
            .find_map(|part| part.strip_prefix(name)?.strip_prefix('='))
            .filter(|v| !v.is_empty())
    };
    let (credential, signed_headers, signature) = (
        field("Credential"),
        field("SignedHeaders"),
        field("Signature"),
    );
    let mut missing = String::new();
    for (name, value) in [
        ("Credential", credential.is_some()),
        ("Signature", signature.is_some()),
        ("SignedHeaders", signed_headers.is_some()),
    ] {
        if !value {
            missing.push_str(&format!(
                "Authorization header requires '{name}' parameter. "
            ));
        }
    }
    match (credential, signed_headers, signature) {
        (Some(credential), Some(signed_headers), Some(signature)) => Ok(Authorization {
            credential,
            signed_headers,
            signature,
        }),
        _ => Err(Failure::Incomplete(format!(
            "{missing}Authorization={auth}"
        ))),
    }
}

fn header_text<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// SigV4's canonical request. The path is encoded once more, as SDKs sign it for every
/// service but S3.
fn canonical_request(request: &SignedRequest<'_>, signed: &[&str]) -> String {
    let path = request.uri.path();
    let path = if path.is_empty() { "/" } else { path };
    let canonical_uri = uri_encode(path, false);
    let mut query: Vec<(String, String)> = request
        .uri
        .query()
        .map(|q| {
            form_urlencoded::parse(q.as_bytes())
                .map(|(k, v)| (uri_encode(&k, true), uri_encode(&v, true)))
                .collect()
        })
        .unwrap_or_default();
    query.sort();
    let canonical_query = query
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    let mut canonical_headers = String::new();
    for name in signed {
        let values: Vec<String> = request
            .headers
            .get_all(*name)
            .iter()
            .map(|v| collapse_spaces(&String::from_utf8_lossy(v.as_bytes())))
            .collect();
        canonical_headers.push_str(&format!("{name}:{}\n", values.join(",")));
    }
    let payload = match header_text(request.headers, "x-amz-content-sha256") {
        Some("UNSIGNED-PAYLOAD") => "UNSIGNED-PAYLOAD".to_string(),
        _ => hex(&Sha256::digest(request.body)),
    };
    format!(
        "{}\n{canonical_uri}\n{canonical_query}\n{canonical_headers}\n{}\n{payload}",
        request.method.as_str(),
        signed.join(";")
    )
}

fn collapse_spaces(value: &str) -> String {
    value.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// RFC 3986 encoding of everything but the unreserved characters (and `/` in a path).
fn uri_encode(text: &str, encode_slash: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b'/' if !encode_slash => out.push('/'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// HMAC-SHA256 (RFC 2104), over the `sha2` the server already uses.
fn hmac(key: &[u8], message: &[u8]) -> [u8; 32] {
    const BLOCK: usize = 64;
    let mut block = [0u8; BLOCK];
    if key.len() > BLOCK {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let mut inner = Sha256::new();
    inner.update(block.map(|b| b ^ 0x36));
    inner.update(message);
    let mut outer = Sha256::new();
    outer.update(block.map(|b| b ^ 0x5c));
    outer.update(inner.finalize());
    outer.finalize().into()
}

/// Compares without stopping at the first difference, so timing tells nothing about the
/// expected signature.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

const MISMATCH: &str = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";
const INVALID_TOKEN: &str = "The security token included in the request is invalid.";
const EXPIRED: &str = "The security token included in the request is expired";

/// The failure as `service` words it: the query services (SNS, STS, and SQS, whose JSON
/// protocol reports the query code) with their codes and 403, the JSON services with
/// coral's `...Exception` names and 400.
fn error_for(service: ServiceId, failure: Failure) -> ApiError {
    let query = matches!(service, ServiceId::Sqs | ServiceId::Sns | ServiceId::Sts);
    let (code, message, status) = match (failure, query) {
        (Failure::Missing, true) => (
            "MissingAuthenticationToken",
            "Request is missing Authentication Token".to_string(),
            403,
        ),
        (Failure::Missing, false) => (
            "MissingAuthenticationTokenException",
            "Missing Authentication Token".to_string(),
            400,
        ),
        (Failure::Incomplete(m), true) => ("IncompleteSignature", m, 400),
        (Failure::Incomplete(m), false) => ("IncompleteSignatureException", m, 400),
        (Failure::UnknownKey, true) => ("InvalidClientTokenId", INVALID_TOKEN.to_string(), 403),
        (Failure::UnknownKey, false) => {
            ("UnrecognizedClientException", INVALID_TOKEN.to_string(), 400)
        }
        (Failure::Expired, true) => ("ExpiredToken", EXPIRED.to_string(), 403),
        (Failure::Expired, false) => ("ExpiredTokenException", EXPIRED.to_string(), 400),
        (
            Failure::Mismatch {
                canonical_request,
                string_to_sign,
            },
            query,
        ) => (
            if query {
                "SignatureDoesNotMatch"
            } else {
                "InvalidSignatureException"
            },
            // AWS adds what it signed, so a client author can find the difference.
            format!(
                "{MISMATCH}\n\nThe Canonical String for this request should have been\n'{canonical_request}'\n\nThe String-to-Sign should have been\n'{string_to_sign}'\n"
            ),
            if query { 403 } else { 400 },
        ),
    };
    ApiError::new(code, message, status)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 4231 test case 2.
    #[test]
    fn hmac_matches_rfc_4231() {
        assert_eq!(
            hex(&hmac(b"Jefe", b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    /// AWS's documented example (IAM ListUsers, secret wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY).
    #[test]
    fn signs_the_aws_documentation_example() {
        let uri: Uri = "/?Action=ListUsers&Version=2010-05-08".parse().unwrap();
        let mut headers = HeaderMap::new();
        headers.insert(
            "content-type",
            "application/x-www-form-urlencoded; charset=utf-8"
                .parse()
                .unwrap(),
        );
        headers.insert("host", "iam.amazonaws.com".parse().unwrap());
        headers.insert("x-amz-date", "20150830T123600Z".parse().unwrap());
        headers.insert(
            http::header::AUTHORIZATION,
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"
                .parse()
                .unwrap(),
        );
        let request = SignedRequest {
            method: &Method::GET,
            uri: &uri,
            headers: &headers,
            body: b"",
        };
        let credentials =
            Credentials::parse(["AKIDEXAMPLE:wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"]).unwrap();
        assert_eq!(check(&request, &credentials, |_| None, 0), Ok(()));
        let wrong = Credentials::parse(["AKIDEXAMPLE:other"]).unwrap();
        assert!(matches!(
            check(&request, &wrong, |_| None, 0),
            Err(Failure::Mismatch { .. })
        ));
    }
}
