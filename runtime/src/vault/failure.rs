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

/// A classified failure and whether retrying the request may help.
#[derive(Debug)]
pub(crate) struct Classified {
    pub(crate) failure: VaultFailure,
    pub(crate) retryable: bool,
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

pub(crate) fn timeout(target: &Target<'_>, timeout_ms: u64) -> VaultFailure {
    failure(
        kind::TIMEOUT,
        target.source,
        None,
        format!(
            "vault at `{}` did not answer `{}` within {timeout_ms} ms",
            target.addr, target.api_path
        ),
    )
}

pub(crate) fn classify(err: &ClientError, target: &Target<'_>) -> Classified {
    match err {
        ClientError::APIError { code, errors } => from_status(*code, errors, target),
        ClientError::RestClientError { source } => from_http(source, target),
        ClientError::JsonParseError { .. } => invalid(target, "the data is not the expected JSON"),
        ClientError::ResponseEmptyError | ClientError::ResponseDataEmptyError => {
            invalid(target, "the response has no data")
        }
        ClientError::FileReadError { path, .. }
        | ClientError::FileNotFoundError { path }
        | ClientError::ParseCertificateError { path, .. } => final_(failure(
            kind::CONFIG,
            path.clone(),
            None,
            format!(
                "cannot use the CA certificate `{path}` (VAULT_CACERT) for `{}`",
                target.addr
            ),
        )),
        ClientError::RestClientBuildError { .. } => final_(failure(
            kind::CONFIG,
            target.addr,
            None,
            format!("cannot build an HTTP client for vault at `{}`", target.addr),
        )),
        other => invalid(target, &other.to_string().to_lowercase()),
    }
}

fn final_(failure: VaultFailure) -> Classified {
    Classified {
        failure,
        retryable: false,
    }
}

fn invalid(target: &Target<'_>, why: &str) -> Classified {
    final_(failure(
        kind::INVALID_RESPONSE,
        target.source,
        None,
        format!(
            "vault at `{}` gave an invalid response to `{}`: {why}",
            target.addr, target.api_path
        ),
    ))
}

fn from_http(err: &HttpError, target: &Target<'_>) -> Classified {
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
        HttpError::ResponseError { source }
            if source
                .downcast_ref::<super::client::BodyTooLarge>()
                .is_some() =>
        {
            invalid(
                target,
                &format!(
                    "the answer is larger than {} bytes",
                    super::client::MAX_BODY
                ),
            )
        }
        HttpError::ResponseError { source } => from_transport(source.as_ref(), target),
        HttpError::ResponseParseError { .. }
        | HttpError::ResponseConversionError { .. }
        | HttpError::DataParseError { .. } => invalid(target, "the body is not valid JSON"),
        other => final_(failure(
            kind::CONFIG,
            target.source,
            None,
            format!(
                "cannot build the request `{}` for vault at `{}`: {}",
                target.api_path,
                target.addr,
                other.to_string().to_lowercase()
            ),
        )),
    }
}

#[derive(serde::Deserialize)]
struct ErrorBody {
    #[serde(default)]
    errors: Vec<String>,
}

/// A transport error: TLS, timeout, or the connection could not be made or broke.
fn from_transport(err: &(dyn std::error::Error + 'static), target: &Target<'_>) -> Classified {
    if let Some(why) = tls_problem(err) {
        return final_(failure(
            kind::TLS,
            target.addr,
            None,
            format!("tls with vault at `{}` failed: {why}", target.addr),
        ));
    }
    let mut timed_out = false;
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = cur {
        if let Some(r) = e.downcast_ref::<reqwest::Error>() {
            timed_out |= r.is_timeout();
        }
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            timed_out |= io.kind() == std::io::ErrorKind::TimedOut;
        }
        cur = e.source();
    }
    if timed_out {
        return final_(failure(
            kind::TIMEOUT,
            target.source,
            None,
            format!(
                "vault at `{}` did not answer `{}` in time",
                target.addr, target.api_path
            ),
        ));
    }
    Classified {
        failure: failure(
            kind::UNREACHABLE,
            target.addr,
            None,
            format!(
                "vault at `{}` is unreachable: {}",
                target.addr,
                innermost(err)
            ),
        ),
        retryable: true,
    }
}

/// The innermost cause's message (e.g. `connection refused`), lowercased.
fn innermost(err: &(dyn std::error::Error + 'static)) -> String {
    let mut cur = err;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string().to_lowercase()
}

/// A rustls error somewhere in the chain (also inside an `io::Error`), described.
fn tls_problem(err: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = cur {
        if let Some(t) = e.downcast_ref::<rustls::Error>() {
            return Some(t.to_string().to_lowercase());
        }
        if let Some(t) = e
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
            .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        {
            return Some(t.to_string().to_lowercase());
        }
        let text = e.to_string().to_lowercase();
        if text.contains("certificate") || text.contains("invalid peer") {
            return Some(text);
        }
        cur = e.source();
    }
    None
}

/// An HTTP error status from Vault.
fn from_status(code: u16, errors: &[String], target: &Target<'_>) -> Classified {
    let said = summary(errors);
    let sealed = errors.iter().any(|e| e.to_lowercase().contains("sealed"));
    if code == 503 && sealed {
        return final_(failure(
            kind::SEALED,
            target.addr,
            Some(code),
            format!("vault at `{}` is sealed (HTTP 503)", target.addr),
        ));
    }
    if code == 429 || code >= 500 {
        return Classified {
            failure: failure(
                kind::SERVER_ERROR,
                target.source,
                Some(code),
                format!(
                    "vault at `{}` answered `{}` with HTTP {code}{said}",
                    target.addr, target.api_path
                ),
            ),
            retryable: true,
        };
    }
    let (kind, what) = match (target.auth, code) {
        (true, _) => (kind::AUTH_FAILED, "refused the login"),
        (false, 403) => (kind::PERMISSION_DENIED, "denied access to"),
        (false, 404) => (kind::NOT_FOUND, "has nothing at"),
        (false, _) => (kind::INVALID_RESPONSE, "rejected the request for"),
    };
    let message = if target.auth {
        format!(
            "vault at `{}` {what} at `{}` (HTTP {code}){said}",
            target.addr, target.api_path
        )
    } else {
        format!(
            "vault at `{}` {what} `{}` (HTTP {code}){said}",
            target.addr, target.source
        )
    };
    final_(failure(kind, target.source, Some(code), message))
}

/// Vault's own error strings (they name paths and roles, never secrets), shortened.
fn summary(errors: &[String]) -> String {
    let text: Vec<String> = errors
        .iter()
        .flat_map(|e| e.lines())
        .map(|l| l.trim().trim_start_matches("* ").trim())
        .filter(|l| !l.is_empty() && !l.ends_with("error occurred:"))
        .map(str::to_owned)
        .collect();
    if text.is_empty() {
        String::new()
    } else {
        let mut joined = text.join("; ");
        if joined.len() > 200 {
            let mut cut = 200;
            while !joined.is_char_boundary(cut) {
                cut -= 1;
            }
            joined.truncate(cut);
            joined.push('…');
        }
        format!(": {joined}")
    }
}
