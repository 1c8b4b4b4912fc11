//! The optional token for stepyard's own endpoints (`--admin-token`). With it set, every
//! `/_stepyard/*` endpoint (reset, clock, settle, the console's data) answers 401 unless the
//! request carries the token, in one of:
//! - the `X-Stepyard-Token` header, or `Authorization: Bearer <token>` (scripts, test suites);
//! - the `stepyard_token` cookie, which the console's page sets when it is opened as
//!   `/_stepyard/ui?token=<token>` (browsers; `SameSite=Strict`, so a page of another site
//!   cannot send it, and `HttpOnly`, so no script reads it).
//!
//! Always open: the health endpoints (container health checks and LocalStack-aware tools poll
//! them) and the console's static files (they hold no data; their calls need the token).
//!
//! With `--verify-signatures` on too, the console's AWS API calls (unsigned) are accepted when
//! they carry the token's cookie, so the console keeps working.

use super::response::{json_response, HttpResponse};
use http::{HeaderMap, StatusCode, Uri};

pub const HEADER: &str = "x-stepyard-token";
pub const COOKIE: &str = "stepyard_token";

/// Paths served without the token.
fn open(path: &str) -> bool {
    matches!(
        path,
        "/_stepyard/health" | "/_localstack/health" | "/_stepyard/ui"
    ) || path.starts_with("/_stepyard/ui/")
        || path.starts_with("/_localstack/")
}

/// Whether the request carries `token` in the header, a bearer `Authorization` or the cookie.
pub fn presented(headers: &HeaderMap, token: &str) -> bool {
    let text = |name| {
        headers
            .get_all(name)
            .into_iter()
            .filter_map(|v| v.to_str().ok())
    };
    let header = text(http::HeaderName::from_static(HEADER)).any(|v| same(v.trim(), token));
    let bearer = text(http::header::AUTHORIZATION)
        .filter_map(|v| v.strip_prefix("Bearer "))
        .any(|v| same(v.trim(), token));
    let cookie = text(http::header::COOKIE)
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().strip_prefix(COOKIE)?.strip_prefix('='))
        .any(|v| same(v, token));
    header || bearer || cookie
}

/// The 401 for an admin request without the token, or `None` when it may go on.
pub fn check(token: Option<&str>, uri: &Uri, headers: &HeaderMap) -> Option<HttpResponse> {
    let token = token?;
    if open(uri.path())
        || presented(headers, token)
        || query_token(uri).is_some_and(|q| same(q, token))
    {
        return None;
    }
    Some(json_response(
        StatusCode::UNAUTHORIZED,
        &serde_json::json!({
            "error": "this stepyard needs its admin token (--admin-token): send it in the X-Stepyard-Token header, or open the console as /_stepyard/ui?token=<token>"
        }),
    ))
}

/// `?token=` of a console page URL.
pub fn query_token(uri: &Uri) -> Option<&str> {
    uri.query()?
        .split('&')
        .find_map(|pair| pair.strip_prefix("token="))
}

/// The `Set-Cookie` the console's page answers with when opened with the right `?token=`.
pub fn cookie_for(token: Option<&str>, uri: &Uri) -> Option<String> {
    let token = token?;
    let path = uri.path();
    let page = path == "/_stepyard/ui" || path == "/_stepyard/ui/";
    (page && query_token(uri).is_some_and(|q| same(q, token)))
        .then(|| format!("{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict"))
}

/// Compares without stopping at the first difference.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}
