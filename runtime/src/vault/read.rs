//! The reads: KV v2 secrets and database-secrets-engine credentials.

use std::collections::BTreeMap;

use dbstack_core::vault::{kv_text, ReadKind, VaultFailure, VaultRead, VaultResult};
use dbstack_core::Secret;
use vaultrs::api::database::requests::GenerateCredentialsRequest;
use vaultrs::api::kv2::requests::ReadSecretRequest;
use vaultrs::api::kv2::responses::ReadSecretResponse;
use vaultrs::client::VaultClient;
use vaultrs::error::ClientError;

use super::client;
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
            // `<mount>/data/<secret>`: the secret's key-value pairs.
            let kv2 = || async {
                let endpoint = ReadSecretRequest {
                    mount: mount.clone(),
                    path: secret.clone(),
                    version: None,
                };
                let answer: ReadSecretResponse =
                    client::data(&client::exec(client, endpoint).await?)?;
                let data: BTreeMap<String, serde_json::Value> = serde_json::from_value(answer.data)
                    .map_err(|source| ClientError::JsonParseError { source })?;
                Ok(data)
            };
            let data = with_retries(&target, budget, kv2).await?;
            let data = data.into_iter().map(|(k, v)| (k, Secret::new(kv_text(&v))));
            Ok(VaultResult::Kv2 {
                data: data.collect(),
            })
        }
        ReadKind::DatabaseCreds { mount, role } => {
            // `<mount>/creds/<role>`, keeping the response envelope (vaultrs'
            // `database::role::creds` strips it and with it the lease: id, TTL, renewable).
            let creds = || async {
                let endpoint = GenerateCredentialsRequest {
                    mount: mount.clone(),
                    name: role.clone(),
                };
                client::envelope(&client::exec(client, endpoint).await?)
            };
            let envelope = with_retries(&target, budget, creds).await?;
            let Some(creds) = envelope.data else {
                let api_path = &read.api_path;
                let message =
                    format!("vault at `{addr}` answered `{api_path}` without credentials");
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
