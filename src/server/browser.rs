//! Requests from web browsers. SDKs and the CLI send neither `Origin` nor `Sec-Fetch-Site`, and
//! reach the server under any name (a compose service name, a container IP), so they are never
//! checked here. A browser sends one of the two, and a browser is how a web page the user
//! happens to visit could drive a local stepyard: a form-encoded SQS/SNS POST or
//! `POST /_stepyard/reset` is a "simple" cross-origin request that needs no CORS preflight, and
//! DNS rebinding makes a hostile name resolve to 127.0.0.1 so that its pages count as same-origin.
//!
//! So a browser request is served only when
//! - its `Host` is `localhost` (or `*.localhost`), a loopback address, or a name given with
//!   `--allowed-host` (this defeats DNS rebinding: the rebound name is not one of these), and
//! - if it may change state (any method but GET/HEAD/OPTIONS, or a query-protocol `Action` in
//!   the URL), it comes from the server's own origin (the console) or one given with
//!   `--allow-origin`; without an `Origin`, `Sec-Fetch-Site` must say `same-origin` or `none`
//!   (typed by the user).
//!
//! Allowed origins also get CORS headers, so a browser app on one of them may use the AWS SDK
//! for JavaScript against stepyard.

use crate::config::Config;
use http::{HeaderMap, HeaderName, HeaderValue, Method, Uri};

/// Looked up on every request: parsed once, at compile time.
const SEC_FETCH_SITE: HeaderName = HeaderName::from_static("sec-fetch-site");

/// What to do with a request, as far as browsers are concerned.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Not from a browser, or from one we serve without CORS headers (same origin).
    Serve,
    /// From an allowed cross-origin page: serve, adding `Access-Control-Allow-Origin`.
    ServeWithCors(HeaderValue),
    /// Refused, with the reason for the 403 body.
    Refuse(String),
}

pub fn check(config: &Config, method: &Method, uri: &Uri, headers: &HeaderMap) -> Verdict {
    let origin = headers.get(http::header::ORIGIN);
    let fetch_site = headers.get(SEC_FETCH_SITE).and_then(|v| v.to_str().ok());
    if origin.is_none() && fetch_site.is_none() {
        return Verdict::Serve;
    }
    let host = headers
        .get(http::header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !host_allowed(config, host) {
        return Verdict::Refuse(format!(
            "stepyard refuses browser requests addressed to host '{}': only localhost, loopback addresses and names given with --allowed-host are served to browsers (this blocks DNS rebinding)",
            printable(host)
        ));
    }
    let origin = origin.and_then(|v| v.to_str().ok().map(|s| (v, s)));
    let same_origin = origin.is_some_and(|(_, o)| same_origin(o, host));
    let allowed = origin.filter(|(_, o)| {
        config
            .allowed_origins
            .iter()
            .any(|a| a == "*" || a.trim_end_matches('/').eq_ignore_ascii_case(o))
    });
    if let Some((value, _)) = allowed {
        if !same_origin {
            return Verdict::ServeWithCors(value.clone());
        }
    }
    if same_origin || !changes_state(method, uri) {
        return Verdict::Serve;
    }
    if origin.is_none() && matches!(fetch_site, Some("same-origin" | "none")) {
        return Verdict::Serve;
    }
    let from = origin
        .map(|(_, o)| printable(o))
        .unwrap_or_else(|| format!("a {} page", fetch_site.unwrap_or("cross-site")));
    Verdict::Refuse(format!(
        "stepyard refuses requests that may change state from {from}: start it with --allow-origin <origin> to let a web app on that origin use it"
    ))
}

/// Whether a request of this shape could change state: every method but the safe ones, and
/// safe ones that carry a query-protocol action (SQS and SNS accept `GET ?Action=...`).
fn changes_state(method: &Method, uri: &Uri) -> bool {
    if !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return true;
    }
    uri.query().is_some_and(|q| {
        form_urlencoded::parse(q.as_bytes()).any(|(k, _)| k.eq_ignore_ascii_case("Action"))
    })
}

fn host_allowed(config: &Config, host: &str) -> bool {
    let name = host_name(host);
    if name.eq_ignore_ascii_case("localhost") || name.to_ascii_lowercase().ends_with(".localhost") {
        return true;
    }
    let bare = name.trim_start_matches('[').trim_end_matches(']');
    if bare
        .parse::<std::net::IpAddr>()
        .is_ok_and(|ip| ip.is_loopback())
    {
        return true;
    }
    config
        .allowed_hosts
        .iter()
        .any(|h| h == "*" || h.eq_ignore_ascii_case(name) || h.eq_ignore_ascii_case(host))
}

/// `host[:port]` without the port (`[::1]:4566` -> `[::1]`).
fn host_name(host: &str) -> &str {
    if host.starts_with('[') {
        return host.find(']').map_or(host, |end| &host[..=end]);
    }
    host.rsplit_once(':').map_or(host, |(name, _)| name)
}

/// `Origin: http://localhost:4566` against `Host: localhost:4566`.
fn same_origin(origin: &str, host: &str) -> bool {
    origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
        .is_some_and(|rest| !host.is_empty() && rest.eq_ignore_ascii_case(host))
}

/// A header value as it may appear in a message: bounded, control characters replaced.
fn printable(text: &str) -> String {
    text.chars()
        .take(200)
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict(method: Method, uri: &str, headers: &[(&str, &str)], config: &Config) -> Verdict {
        let mut map = HeaderMap::new();
        for (k, v) in headers {
            map.insert(
                http::header::HeaderName::from_bytes(k.as_bytes()).expect("header name"),
                HeaderValue::from_str(v).expect("header value"),
            );
        }
        check(config, &method, &uri.parse().expect("uri"), &map)
    }

    fn refused(v: &Verdict) -> bool {
        matches!(v, Verdict::Refuse(_))
    }

    #[test]
    fn clients_without_browser_headers_are_served_under_any_host() {
        let c = Config::default();
        let v = verdict(Method::POST, "/", &[("host", "sqs.internal:4566")], &c);
        assert_eq!(v, Verdict::Serve);
    }

    #[test]
    fn cross_site_posts_are_refused_and_same_origin_ones_served() {
        let c = Config::default();
        let cross = [
            ("host", "localhost:4566"),
            ("origin", "http://evil.example"),
        ];
        assert!(refused(&verdict(
            Method::POST,
            "/_stepyard/reset",
            &cross,
            &c
        )));
        let own = [
            ("host", "localhost:4566"),
            ("origin", "http://localhost:4566"),
        ];
        assert_eq!(verdict(Method::POST, "/", &own, &c), Verdict::Serve);
        let fetch = [("host", "127.0.0.1:4566"), ("sec-fetch-site", "cross-site")];
        assert!(refused(&verdict(Method::POST, "/", &fetch, &c)));
        assert!(refused(&verdict(
            Method::GET,
            "/?Action=DeleteQueue&QueueUrl=x",
            &fetch,
            &c
        )));
        assert_eq!(
            verdict(Method::GET, "/_stepyard/health", &fetch, &c),
            Verdict::Serve
        );
    }

    #[test]
    fn rebound_host_names_are_refused_unless_allowed() {
        let mut c = Config::default();
        let rebound = [
            ("host", "evil.example:4566"),
            ("origin", "http://evil.example:4566"),
        ];
        assert!(refused(&verdict(
            Method::GET,
            "/_stepyard/health",
            &rebound,
            &c
        )));
        c.allowed_hosts.push("evil.example".into());
        assert_eq!(verdict(Method::POST, "/", &rebound, &c), Verdict::Serve);
        let v6 = [("host", "[::1]:4566"), ("origin", "http://[::1]:4566")];
        assert_eq!(
            verdict(Method::POST, "/", &v6, &Config::default()),
            Verdict::Serve
        );
    }

    #[test]
    fn allowed_origins_get_cors() {
        let mut c = Config::default();
        c.allowed_origins.push("http://localhost:3000".into());
        let app = [
            ("host", "localhost:4566"),
            ("origin", "http://localhost:3000"),
        ];
        assert!(matches!(
            verdict(Method::POST, "/", &app, &c),
            Verdict::ServeWithCors(_)
        ));
    }
}
