//! The reads: KV v2 secrets and database-secrets-engine credentials.

use std::collections::BTreeMap;

use dbstack_core::secret::Secret;
use dbstack_core::vault::{kv_text, ReadKind, VaultFailure, VaultRead, VaultResult};
use rustify::endpoint::Endpoint as _;
use vaultrs::api::database::requests::GenerateCredentialsRequest;
use vaultrs::api::database::responses::GenerateCredentialsResponse;
use vaultrs::api::EndpointResult;
use vaultrs::client::{Client as _, VaultClient};
use vaultrs::error::ClientError;

use super::failure::{self, kind, Target};
use super::with_retries;

pub(crate) async fn perform(
    client: &VaultClient,
    addr: &str,
    timeout_ms: u64,
    read: &VaultRead,
) -> Result<VaultResult, VaultFailure> {
    let target = Target {
        addr,
        api_path: &read.api_path,
        source: &read.path,
        auth: false,
    };
    match &read.kind {
        ReadKind::Kv2 { mount, secret } => {
            let data: BTreeMap<String, serde_json::Value> =
                with_retries(&target, timeout_ms, || {
                    vaultrs::kv2::read(client, mount, secret)
                })
                .await?;
            let data = data
                .iter()
                .map(|(k, v)| (k.clone(), Secret::new(kv_text(v))))
                .collect();
            Ok(VaultResult::Kv2 { data })
        }
        ReadKind::DatabaseCreds { mount, role } => {
            let envelope =
                with_retries(&target, timeout_ms, || database_creds(client, mount, role)).await?;
            let Some(creds) = envelope.data else {
                return Err(failure::failure(
                    kind::INVALID_RESPONSE,
                    read.path.clone(),
                    None,
                    format!(
                        "vault at `{addr}` answered `{}` without credentials",
                        read.api_path
                    ),
                ));
            };
            Ok(VaultResult::DatabaseCreds {
                username: creds.username,
                password: Secret::new(creds.password),
                lease_id: envelope.lease_id,
                lease_duration: u64::from(envelope.lease_duration),
                renewable: envelope.renewable,
            })
        }
    }
}

/// `<mount>/creds/<role>`. vaultrs' `database::role::creds` strips the response envelope and
/// with it the lease (id, TTL, renewable), so this executes vaultrs' own
/// `GenerateCredentialsRequest` endpoint through the same client and keeps the envelope.
async fn database_creds(
    client: &VaultClient,
    mount: &str,
    role: &str,
) -> Result<EndpointResult<GenerateCredentialsResponse>, ClientError> {
    let endpoint = GenerateCredentialsRequest::builder()
        .mount(mount)
        .name(role)
        .build()
        .map_err(|_| ClientError::ResponseEmptyError)?;
    let response = endpoint
        .with_middleware(client.middle())
        .exec(client.http())
        .await
        .map_err(|source| ClientError::RestClientError { source })?;
    response
        .wrap::<EndpointResult<GenerateCredentialsResponse>>()
        .map_err(|source| ClientError::RestClientError { source })
}
