//! The reads: KV v2 secrets and database-secrets-engine credentials.

use std::collections::BTreeMap;

use dbstack_core::vault::{kv_text, ReadKind, VaultFailure, VaultRead, VaultResult};
use dbstack_core::Secret;
use vaultrs::api::database::requests::GenerateCredentialsRequest;
use vaultrs::api::database::responses::GenerateCredentialsResponse;
use vaultrs::api::kv2::requests::ReadSecretRequest;
use vaultrs::api::kv2::responses::ReadSecretResponse;
use vaultrs::api::EndpointResult;
use vaultrs::client::VaultClient;
use vaultrs::error::ClientError;

use super::client::{self, Refusal};
use super::failure::{self, kind, Target};
use super::{with_retries, Budget};

pub(crate) async fn perform(
    client: &VaultClient,
    addr: &str,
    budget: &Budget,
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
            let data = with_retries(&target, budget, || kv2(client, mount, secret)).await?;
            let data = data.into_iter().map(|(k, v)| (k, Secret::new(kv_text(&v))));
            Ok(VaultResult::Kv2 {
                data: data.collect(),
            })
        }
        ReadKind::DatabaseCreds { mount, role } => {
            let envelope =
                with_retries(&target, budget, || database_creds(client, mount, role)).await?;
            let Some(creds) = envelope.data else {
                let message = format!(
                    "vault at `{addr}` answered `{}` without credentials",
                    read.api_path
                );
                return Err(failure::failure(
                    kind::INVALID_RESPONSE,
                    &read.path,
                    None,
                    message,
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

/// `<mount>/data/<secret>`: the secret's key-value pairs.
async fn kv2(
    client: &VaultClient,
    mount: &str,
    secret: &str,
) -> Result<BTreeMap<String, serde_json::Value>, Refusal> {
    let endpoint = ReadSecretRequest {
        mount: mount.to_owned(),
        path: secret.to_owned(),
        version: None,
    };
    let secret: ReadSecretResponse = client::data(&client::exec(client, endpoint).await?)?;
    serde_json::from_value(secret.data)
        .map_err(|source| Refusal::from(ClientError::JsonParseError { source }))
}

/// `<mount>/creds/<role>`, keeping the response envelope (vaultrs' `database::role::creds`
/// strips it and with it the lease: id, TTL, renewable).
async fn database_creds(
    client: &VaultClient,
    mount: &str,
    role: &str,
) -> Result<EndpointResult<GenerateCredentialsResponse>, Refusal> {
    let endpoint = GenerateCredentialsRequest {
        mount: mount.to_owned(),
        name: role.to_owned(),
    };
    client::envelope(&client::exec(client, endpoint).await?)
}
