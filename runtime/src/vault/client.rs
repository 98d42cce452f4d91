//! Builds the vaultrs client from the plan's settings, never from the process environment
//! (vaultrs' defaults read `VAULT_*` itself; every field is set explicitly here), and
//! executes vaultrs' endpoints through it keeping what a 429 says (`Retry-After`).

use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

use dbstack_core::vault::{VaultFailure, VaultSettings};
use rustify::endpoint::{Endpoint, EndpointResult};
use rustify::enums::{RequestMethod, RequestType, ResponseType};
use vaultrs::client::{Client as _, VaultClient, VaultClientSettingsBuilder};
use vaultrs::error::ClientError;

use super::failure::{self, classify, kind, Target};

pub(crate) fn build(settings: &VaultSettings) -> Result<VaultClient, VaultFailure> {
    // reqwest is built without a bundled crypto provider; ring is ours. A provider installed
    // earlier by someone else in the process is fine too.
    let _ = rustls::crypto::ring::default_provider().install_default();

    let addr = settings.addr.as_str();
    let from = &settings.addr_source;
    let config = |source: &str, message| failure::failure(kind::CONFIG, source, None, message);
    let url = reqwest::Url::parse(addr).map_err(|e| {
        config(
            from,
            format!("vault address `{addr}` from {from} is not a url: {e}"),
        )
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        let message =
            format!("vault address `{addr}` from {from} must start with http:// or https://");
        return Err(config(from, message));
    }
    if let Some(path) = &settings.cacert {
        // vaultrs reads the file itself (unbounded, blocking): check it is a regular file of
        // at most 4 MiB first.
        crate::fs::read_bytes(std::path::Path::new(path), crate::fs::MAX_CA_FILE).map_err(|e| {
            config(
                path,
                format!("cannot read the CA certificate `{path}` from VAULT_CACERT: {e}"),
            )
        })?;
    }
    let mut builder = VaultClientSettingsBuilder::default();
    builder
        .address(url.as_str())
        .token(String::new())
        .ca_certs(settings.cacert.iter().cloned().collect())
        .identity(None)
        .verify(!settings.skip_verify)
        .timeout(Some(Duration::from_millis(settings.timeout_ms.max(1))))
        .namespace(settings.namespace.clone().filter(|n| !n.is_empty()));
    let client_settings = builder.build().map_err(|e| {
        config(
            from,
            format!("cannot configure the vault client for `{addr}`: {e}"),
        )
    })?;
    VaultClient::new(client_settings).map_err(|e| {
        let target = Target {
            addr,
            api_path: "",
            source: addr,
            auth: false,
        };
        classify(&e, &target)
    })
}

/// A refused request: what went wrong, and the `Retry-After` Vault sent with it.
#[derive(Debug)]
pub(crate) struct Refusal {
    pub(crate) error: ClientError,
    pub(crate) retry_after: Option<Duration>,
}

impl From<ClientError> for Refusal {
    fn from(error: ClientError) -> Refusal {
        Refusal {
            error,
            retry_after: None,
        }
    }
}

/// The largest Vault answer read: 1 MiB (a KV secret of the stack is a few hundred bytes,
/// a login answer about 1 KB). A larger answer (or an endless one) is an `invalid_response`
/// after at most this many bytes, within the per-request timeout.
pub(crate) const MAX_BODY: usize = 1024 * 1024;

/// An answer longer than [`MAX_BODY`].
#[derive(Debug, thiserror::Error)]
#[error("the answer is larger than {MAX_BODY} bytes")]
pub(crate) struct BodyTooLarge;

/// vaultrs' HTTP client, seen through a wrapper that reads the body itself: at most
/// [`MAX_BODY`] bytes; an error answer scrubbed of every form of what the request carried
/// (the token header, the strings of a login's JSON body: a JWT, a secret id) before anyone
/// reads it; and the `Retry-After` header kept (vaultrs and rustify drop every header of an
/// error response).
struct Observed<'a> {
    inner: &'a rustify::clients::reqwest::Client,
    retry_after: OnceLock<Duration>,
}

#[async_trait::async_trait]
impl rustify::client::Client for Observed<'_> {
    fn base(&self) -> &str {
        rustify::client::Client::base(self.inner)
    }

    async fn send(
        &self,
        req: http::Request<Vec<u8>>,
    ) -> Result<http::Response<Vec<u8>>, rustify::errors::ClientError> {
        use rustify::errors::ClientError as HttpError;
        let secrets = request_secrets(&req);
        let request = reqwest::Request::try_from(req)
            .map_err(|source| HttpError::ReqwestBuildError { source })?;
        let (url, method) = (request.url().to_string(), request.method().to_string());
        let sent = self.inner.http.execute(request).await;
        let mut response = sent.map_err(|e| HttpError::RequestError {
            source: e.into(),
            url,
            method,
        })?;
        let header = response.headers().get(http::header::RETRY_AFTER);
        if let Some(wait) = header.and_then(|v| retry_after(v.to_str().ok()?, SystemTime::now())) {
            let _ = self.retry_after.set(wait);
        }
        let too_large = || HttpError::ResponseError {
            source: BodyTooLarge.into(),
        };
        if response
            .content_length()
            .is_some_and(|n| n > MAX_BODY as u64)
        {
            return Err(too_large());
        }
        let mut answer = http::Response::new(Vec::new());
        *answer.status_mut() = response.status();
        *answer.headers_mut() = response.headers().clone();
        let body = answer.body_mut();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| HttpError::ResponseError { source: e.into() })?
        {
            if body.len() + chunk.len() > MAX_BODY {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        if !answer.status().is_success() && !secrets.is_empty() {
            let text = String::from_utf8_lossy(answer.body());
            *answer.body_mut() = dbstack_core::scrub(&text, &secrets).into_bytes();
        }
        Ok(answer)
    }
}

/// What a request carries that Vault must not echo into a message: the token header and,
/// in a JSON body, every string under a key that names a secret (`jwt`, `secret_id`,
/// `password`, `token`, ...: a role or mount name stays readable in Vault's message).
fn request_secrets(req: &http::Request<Vec<u8>>) -> Vec<String> {
    let mut secrets = Vec::new();
    if let Some(token) = req.headers().get("X-Vault-Token") {
        secrets.extend(token.to_str().ok().map(str::to_owned));
    }
    if let Ok(body) = serde_json::from_slice::<serde_json::Value>(req.body()) {
        secret_strings(&body, false, &mut secrets);
    }
    secrets
}

fn secret_strings(value: &serde_json::Value, secret: bool, out: &mut Vec<String>) {
    match value {
        serde_json::Value::String(s) if secret => out.push(s.clone()),
        serde_json::Value::Array(items) => {
            items.iter().for_each(|v| secret_strings(v, secret, out));
        }
        serde_json::Value::Object(map) => {
            for (key, v) in map {
                let named = key == "jwt" || dbstack_core::is_secret_key(key);
                secret_strings(v, secret || named, out);
            }
        }
        _ => {}
    }
}

/// Executes one of vaultrs' endpoints through `client` (its address, token, namespace), keeping
/// the `Retry-After` of a refusal.
pub(crate) async fn exec<E: Endpoint>(
    client: &VaultClient,
    endpoint: E,
) -> Result<EndpointResult<E::Response>, Refusal> {
    let observed = Observed {
        inner: client.http(),
        retry_after: OnceLock::new(),
    };
    let result = endpoint
        .with_middleware(client.middle())
        .exec(&observed)
        .await;
    result.map_err(|source| Refusal {
        error: ClientError::RestClientError { source },
        retry_after: observed.retry_after.get().copied(),
    })
}

/// The envelope of a Vault answer (`data`, `auth`, the lease).
pub(crate) fn envelope<T>(
    answer: &EndpointResult<T>,
) -> Result<vaultrs::api::EndpointResult<T>, Refusal>
where
    T: serde::de::DeserializeOwned + Send + Sync,
{
    answer
        .wrap::<vaultrs::api::EndpointResult<T>>()
        .map_err(|source| Refusal::from(ClientError::RestClientError { source }))
}

/// The data of a Vault answer (`{"data": ...}`), or why there is none.
pub(crate) fn data<T>(answer: &EndpointResult<T>) -> Result<T, Refusal>
where
    T: serde::de::DeserializeOwned + Send + Sync,
{
    envelope(answer)?
        .data
        .ok_or(Refusal::from(ClientError::ResponseDataEmptyError))
}

/// `Retry-After` (RFC 9110 §10.2.3): delay seconds, or an HTTP date (then the time left until
/// it, zero when it has passed). `None` for anything else.
pub(crate) fn retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // More digits than a u64 holds is still "a very long time".
        return Some(Duration::from_secs(value.parse().unwrap_or(u64::MAX)));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_takes_seconds_and_http_dates() {
        let now = httpdate::parse_http_date("Wed, 02 Dec 2026 06:00:00 GMT").unwrap();
        assert_eq!(retry_after("3", now), Some(Duration::from_secs(3)));
        assert_eq!(retry_after(" 0 ", now), Some(Duration::ZERO));
        assert_eq!(
            retry_after("Wed, 02 Dec 2026 06:00:07 GMT", now),
            Some(Duration::from_secs(7))
        );
        // A date in the past means "now".
        assert_eq!(
            retry_after("Wed, 02 Dec 2026 05:59:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(retry_after("soon", now), None);
        assert_eq!(retry_after("-1", now), None);
        assert_eq!(retry_after("", now), None);
        assert_eq!(
            retry_after("99999999999999999999999", now),
            Some(Duration::from_secs(u64::MAX))
        );
    }
}

/// Any request under `/v1/`, executed through vaultrs' client (token, namespace, TLS).
#[derive(Debug)]
pub(crate) struct Raw {
    pub(crate) method: RequestMethod,
    pub(crate) path: String,
    pub(crate) body: Option<serde_json::Value>,
}

impl Endpoint for Raw {
    type Response = serde_json::Value;
    const REQUEST_BODY_TYPE: RequestType = RequestType::JSON;
    const RESPONSE_BODY_TYPE: ResponseType = ResponseType::JSON;

    fn path(&self) -> String {
        self.path.clone()
    }

    fn method(&self) -> RequestMethod {
        self.method.clone()
    }

    fn body(&self) -> Result<Option<Vec<u8>>, rustify::errors::ClientError> {
        Ok(self.body.as_ref().map(|b| b.to_string().into_bytes()))
    }
}
