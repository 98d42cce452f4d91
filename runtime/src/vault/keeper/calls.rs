//! The keeper's own Vault calls, through the resolution's client layer (`client::exec`, one
//! HTTP layer) and its retry policy (`with_retries`): `sys/leases/renew` and
//! `sys/leases/revoke` (which vaultrs lacks) and `auth/token/renew-self`.

use dbstack_core::vault::{VaultFailure, VaultSettings};
use rustify::endpoint::EndpointResult;
use rustify::enums::RequestMethod;
use serde_json::{json, Value};
use vaultrs::client::VaultClient;
use vaultrs::error::ClientError;

use super::super::client::{self, envelope, Raw, Refusal};
use super::super::failure::Target;
use super::super::{with_retries, Budget};

/// What a renewal granted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Grant {
    pub(crate) ttl_s: u64,
    pub(crate) renewable: bool,
}

/// `method api_path` with a JSON `body` (`source`: what it is for), under the retry policy;
/// `read` takes the answer apart.
async fn call<T>(
    client: &VaultClient,
    settings: &VaultSettings,
    (method, api_path): (RequestMethod, &str),
    source: &str,
    body: Value,
    read: fn(&EndpointResult<Value>) -> Result<T, Refusal>,
) -> Result<T, VaultFailure> {
    let target = Target {
        addr: &settings.addr,
        api_path,
        source,
        auth: false,
    };
    with_retries(&target, &Budget::new(settings), || async {
        let call = Raw {
            method: method.clone(),
            path: api_path.to_owned(),
            body: Some(body.clone()),
        };
        read(&client::exec(client, call).await?)
    })
    .await
}

/// `PUT sys/leases/renew` asking for `increment_s` more seconds.
pub(crate) async fn renew_lease(
    client: &VaultClient,
    settings: &VaultSettings,
    lease_id: &str,
    source: &str,
    increment_s: u64,
) -> Result<Grant, VaultFailure> {
    let body = json!({"lease_id": lease_id, "increment": increment_s});
    let put = (RequestMethod::PUT, "sys/leases/renew");
    call(client, settings, put, source, body, |answer| {
        let answer = envelope(answer)?;
        Ok(Grant {
            ttl_s: u64::from(answer.lease_duration),
            renewable: answer.renewable,
        })
    })
    .await
}

/// `PUT sys/leases/revoke`.
pub(crate) async fn revoke_lease(
    client: &VaultClient,
    settings: &VaultSettings,
    lease_id: &str,
    source: &str,
) -> Result<(), VaultFailure> {
    let put = (RequestMethod::PUT, "sys/leases/revoke");
    call(
        client,
        settings,
        put,
        source,
        json!({"lease_id": lease_id}),
        |_| Ok(()),
    )
    .await
}

/// `POST auth/token/renew-self` asking for `increment_s` more seconds.
pub(crate) async fn renew_token(
    client: &VaultClient,
    settings: &VaultSettings,
    source: &str,
    increment_s: u64,
) -> Result<Grant, VaultFailure> {
    let body = json!({"increment": format!("{increment_s}s")});
    let post = (RequestMethod::POST, "auth/token/renew-self");
    call(client, settings, post, source, body, |answer| {
        let auth = envelope(answer)?
            .auth
            .ok_or(ClientError::ResponseEmptyError)?;
        Ok(Grant {
            ttl_s: auth.lease_duration,
            renewable: auth.renewable,
        })
    })
    .await
}
