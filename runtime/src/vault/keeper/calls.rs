//! The keeper's own Vault calls, through the resolution's client layer (`client::exec`, one
//! HTTP layer) and its retry policy (`with_retries`): `sys/leases/renew` and
//! `sys/leases/revoke` (which vaultrs lacks) and `auth/token/renew-self`.

use dbstack_core::vault::VaultFailure;
use rustify::enums::RequestMethod;
use vaultrs::api::token::requests::RenewTokenSelfRequest;
use vaultrs::client::VaultClient;
use vaultrs::error::ClientError;

use super::super::client::{self, Raw, Refusal};
use super::super::failure::Target;
use super::super::{with_retries, Budget};

/// What a renewal granted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Grant {
    pub(crate) ttl_s: u64,
    pub(crate) renewable: bool,
}

/// The envelope of an answer (`lease_duration`, `renewable`, `auth`).
fn envelope<T: serde::de::DeserializeOwned + Send + Sync>(
    answer: &rustify::endpoint::EndpointResult<T>,
) -> Result<vaultrs::api::EndpointResult<T>, Refusal> {
    answer
        .wrap::<vaultrs::api::EndpointResult<T>>()
        .map_err(|source| Refusal::from(ClientError::RestClientError { source }))
}

/// `PUT sys/leases/renew` asking for `increment_s` more seconds.
pub(crate) async fn renew_lease(
    client: &VaultClient,
    addr: &str,
    budget: &Budget,
    lease_id: &str,
    source: &str,
    increment_s: u64,
) -> Result<Grant, VaultFailure> {
    let target = Target {
        addr,
        api_path: "sys/leases/renew",
        source,
        auth: false,
    };
    let body = serde_json::json!({"lease_id": lease_id, "increment": increment_s});
    with_retries(&target, budget, || async {
        let call = Raw {
            method: RequestMethod::PUT,
            path: "sys/leases/renew".to_owned(),
            body: Some(body.clone()),
        };
        let answer = envelope(&client::exec(client, call).await?)?;
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
    addr: &str,
    budget: &Budget,
    lease_id: &str,
    source: &str,
) -> Result<(), VaultFailure> {
    let target = Target {
        addr,
        api_path: "sys/leases/revoke",
        source,
        auth: false,
    };
    let body = serde_json::json!({"lease_id": lease_id});
    with_retries(&target, budget, || async {
        let call = Raw {
            method: RequestMethod::PUT,
            path: "sys/leases/revoke".to_owned(),
            body: Some(body.clone()),
        };
        client::exec(client, call).await.map(|_| ())
    })
    .await
}

/// `POST auth/token/renew-self` asking for `increment_s` more seconds.
pub(crate) async fn renew_token(
    client: &VaultClient,
    addr: &str,
    budget: &Budget,
    source: &str,
    increment_s: u64,
) -> Result<Grant, VaultFailure> {
    let target = Target {
        addr,
        api_path: "auth/token/renew-self",
        source,
        auth: false,
    };
    with_retries(&target, budget, || async {
        let endpoint = RenewTokenSelfRequest::builder()
            .increment(format!("{increment_s}s"))
            .build()
            .map_err(|_| ClientError::ResponseEmptyError)?;
        let answer = envelope(&client::exec(client, endpoint).await?)?;
        let auth = answer.auth.ok_or(ClientError::ResponseEmptyError)?;
        Ok(Grant {
            ttl_s: auth.lease_duration,
            renewable: auth.renewable,
        })
    })
    .await
}
