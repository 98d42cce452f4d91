//! Turns what went wrong talking to Vault into a [`VaultFailure`] (a kind, the address or
//! path, the HTTP status, a message without secrets) and says whether a retry may help.

use dbstack_core::vault::VaultFailure;
use rustify::errors::ClientError as HttpError;
use vaultrs::error::ClientError;

/// The failure kinds the runtime reports (`VaultFailure::kind`).
pub mod kind {
    pub const UNREACHABLE: &str = "unreachable";
    pub const SEALED: &str = "sealed";
    pub const PERMISSION_DENIED: &str = "permission_denied";
    pub const NOT_FOUND: &str = "not_found";
    pub const INVALID_RESPONSE: &str = "invalid_response";
    pub const AUTH_FAILED: &str = "auth_failed";
    pub const TIMEOUT: &str = "timeout";
    pub const TLS: &str = "tls";
    pub const CONFIG: &str = "config";
    /// A 5xx that persisted through the retries.
    pub const SERVER_ERROR: &str = "server_error";
    /// HTTP 429 until the storm deadline (`DBSTACK_VAULT_DEADLINE`).
    pub const RATE_LIMITED: &str = "rate_limited";
}

/// Which request failed: the Vault address, the API path and what it was for.
#[derive(Debug, Clone)]
pub(crate) struct Target<'a> {
    pub(crate) addr: &'a str,
    /// The API path under `/v1/`, e.g. `secret/data/dbstack/supabase` or `auth/approle/login`.
    pub(crate) api_path: &'a str,
    /// The path people know it by, used as the failure's `source` for reads.
    pub(crate) source: &'a str,
    /// Authentication (a 4xx means the credentials were refused) or a read.
    pub(crate) auth: bool,
}

pub(crate) fn failure(
    kind: &str,
    source: impl Into<String>,
    status: Option<u16>,
    message: impl Into<String>,
) -> VaultFailure {
    VaultFailure {
        kind: kind.to_owned(),
        source: source.into(),
        status,
        message: message.into(),
    }
}

/// Whether retrying the request may help: the connection failed, or Vault answered 429 or 5xx.
pub(crate) fn retryable(failure: &VaultFailure) -> bool {
    failure.kind == kind::UNREACHABLE || failure.kind == kind::SERVER_ERROR
}

pub(crate) fn timeout(target: &Target<'_>, timeout_ms: u64) -> VaultFailure {
    let (addr, api_path) = (target.addr, target.api_path);
    let message = format!("vault at `{addr}` did not answer `{api_path}` within {timeout_ms} ms");
    failure(kind::TIMEOUT, target.source, None, message)
}

pub(crate) fn classify(err: &ClientError, target: &Target<'_>) -> VaultFailure {
    match err {
        ClientError::APIError { code, errors } => from_status(*code, errors, target),
        ClientError::RestClientError { source } => from_http(source, target),
        ClientError::JsonParseError { .. } => invalid(target, "the data is not the expected JSON"),
        ClientError::ResponseEmptyError | ClientError::ResponseDataEmptyError => {
            invalid(target, "the response has no data")
        }
        ClientError::FileReadError { path, .. }
        | ClientError::FileNotFoundError { path }
        | ClientError::ParseCertificateError { path, .. } => {
            let addr = target.addr;
            let message =
                format!("cannot use the CA certificate `{path}` (VAULT_CACERT) for `{addr}`");
            failure(kind::CONFIG, path, None, message)
        }
        ClientError::RestClientBuildError { .. } => {
            let message = format!("cannot build an HTTP client for vault at `{}`", target.addr);
            failure(kind::CONFIG, target.addr, None, message)
        }
        other => invalid(target, &other.to_string().to_lowercase()),
    }
}

fn invalid(target: &Target<'_>, why: &str) -> VaultFailure {
    let (addr, api_path) = (target.addr, target.api_path);
    let message = format!("vault at `{addr}` gave an invalid response to `{api_path}`: {why}");
    failure(kind::INVALID_RESPONSE, target.source, None, message)
}

fn from_http(err: &HttpError, target: &Target<'_>) -> VaultFailure {
    match err {
        HttpError::ServerResponseError { code, content } => {
            // The body is not Vault's `{"errors": [...]}`; take what it says when it does.
            let errors = content
                .as_deref()
                .and_then(|c| serde_json::from_str::<ErrorBody>(c).ok())
                .map(|b| b.errors)
                .unwrap_or_default();
            from_status(*code, &errors, target)
        }
        HttpError::RequestError { source, .. } => from_transport(source.as_ref(), target),
        HttpError::ResponseError { source } if source.is::<super::client::BodyTooLarge>() => {
            invalid(target, &source.to_string())
        }
        HttpError::ResponseError { source } => from_transport(source.as_ref(), target),
        HttpError::ResponseParseError { .. }
        | HttpError::ResponseConversionError { .. }
        | HttpError::DataParseError { .. } => invalid(target, "the body is not valid JSON"),
        other => {
            let (addr, api_path) = (target.addr, target.api_path);
            let why = other.to_string().to_lowercase();
            let message =
                format!("cannot build the request `{api_path}` for vault at `{addr}`: {why}");
            failure(kind::CONFIG, target.source, None, message)
        }
    }
}

#[derive(serde::Deserialize)]
struct ErrorBody {
    #[serde(default)]
    errors: Vec<String>,
}

type Error = dyn std::error::Error + 'static;

/// `err` and its sources, outermost first.
fn chain(err: &Error) -> impl Iterator<Item = &Error> {
    std::iter::successors(Some(err), |e| e.source())
}

/// A transport error: TLS, timeout, or the connection could not be made or broke.
fn from_transport(err: &Error, target: &Target<'_>) -> VaultFailure {
    if let Some(why) = chain(err).find_map(tls_problem) {
        let message = format!("tls with vault at `{}` failed: {why}", target.addr);
        return failure(kind::TLS, target.addr, None, message);
    }
    let timed_out = chain(err).any(|e| {
        e.downcast_ref::<reqwest::Error>()
            .is_some_and(reqwest::Error::is_timeout)
            || e.downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::TimedOut)
    });
    if timed_out {
        let (addr, api_path) = (target.addr, target.api_path);
        let message = format!("vault at `{addr}` did not answer `{api_path}` in time");
        return failure(kind::TIMEOUT, target.source, None, message);
    }
    // The innermost cause's message (e.g. `connection refused`), lowercased.
    let cause = chain(err).last().unwrap_or(err).to_string().to_lowercase();
    let message = format!("vault at `{}` is unreachable: {cause}", target.addr);
    failure(kind::UNREACHABLE, target.addr, None, message)
}

/// A rustls error (also inside an `io::Error`) or a certificate problem, described.
fn tls_problem(e: &Error) -> Option<String> {
    let io_inner = e
        .downcast_ref::<std::io::Error>()
        .and_then(|io| io.get_ref())
        .and_then(|inner| inner.downcast_ref::<rustls::Error>());
    if let Some(t) = e.downcast_ref::<rustls::Error>().or(io_inner) {
        return Some(t.to_string().to_lowercase());
    }
    let text = e.to_string().to_lowercase();
    (text.contains("certificate") || text.contains("invalid peer")).then_some(text)
}

/// An HTTP error status from Vault.
fn from_status(code: u16, errors: &[String], target: &Target<'_>) -> VaultFailure {
    let said = summary(errors);
    let sealed = errors.iter().any(|e| e.to_lowercase().contains("sealed"));
    if code == 503 && sealed {
        let message = format!("vault at `{}` is sealed (HTTP 503)", target.addr);
        return failure(kind::SEALED, target.addr, Some(code), message);
    }
    let (kind, what, path) = match (target.auth, code) {
        (_, 429 | 500..) => {
            let message = format!(
                "vault at `{}` answered `{}` with HTTP {code}{said}",
                target.addr, target.api_path
            );
            return failure(kind::SERVER_ERROR, target.source, Some(code), message);
        }
        (true, _) => (kind::AUTH_FAILED, "refused the login at", target.api_path),
        (false, 403) => (kind::PERMISSION_DENIED, "denied access to", target.source),
        (false, 404) => (kind::NOT_FOUND, "has nothing at", target.source),
        (false, _) => (
            kind::INVALID_RESPONSE,
            "rejected the request for",
            target.source,
        ),
    };
    let message = format!(
        "vault at `{}` {what} `{path}` (HTTP {code}){said}",
        target.addr
    );
    failure(kind, target.source, Some(code), message)
}

/// Vault's own error strings (they name paths and roles, never secrets), shortened.
fn summary(errors: &[String]) -> String {
    let mut joined = errors
        .iter()
        .flat_map(|e| e.lines())
        .map(|l| l.trim().trim_start_matches("* ").trim())
        .filter(|l| !l.is_empty() && !l.ends_with("error occurred:"))
        .collect::<Vec<_>>()
        .join("; ");
    if joined.is_empty() {
        return joined;
    }
    if joined.len() > 200 {
        let cut = (0..=200).rev().find(|&i| joined.is_char_boundary(i));
        joined.truncate(cut.unwrap_or(0));
        joined.push('…');
    }
    format!(": {joined}")
}
