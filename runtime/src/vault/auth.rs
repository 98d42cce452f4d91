//! Authentication: a token (`VAULT_TOKEN`, else `~/.vault-token`), checked with
//! `auth/token/lookup-self`; Kubernetes (service-account JWT); AppRole; none through a
//! Vault/OpenBao Agent (`agent`).

use std::collections::BTreeMap;

use dbstack_core::vault::{AuthMethod, VaultFailure, VaultSettings};
use dbstack_core::Secret;
use vaultrs::api::auth::approle::requests::LoginWithApproleRequest;
use vaultrs::api::auth::kubernetes::requests::LoginWithKubernetesRequest;
use vaultrs::api::token::requests::LookupTokenSelfRequest;
use vaultrs::api::token::responses::LookupTokenResponse;
use vaultrs::client::{Client as _, VaultClient};
use vaultrs::error::ClientError;

use super::client::{self, Refusal};
use super::failure::{self, kind, Target};
use super::{with_retries, Budget};

/// A client token and what Vault said about it (what the credential keeper schedules by).
#[derive(Debug, Clone)]
pub(crate) struct Login {
    pub(crate) token: Secret,
    /// Seconds left when it was issued or looked up; 0: no expiry.
    pub(crate) ttl_s: u64,
    /// The TTL to ask on renewal: the token's creation TTL.
    pub(crate) asked_s: u64,
    pub(crate) renewable: bool,
    /// Not a secret: names the token in messages.
    pub(crate) accessor: String,
    /// Where the token came from: `VAULT_TOKEN`, a token file or the login path.
    pub(crate) source: String,
}

impl Login {
    fn from_auth(info: vaultrs::api::AuthInfo, source: String) -> Login {
        Login {
            token: Secret::new(info.client_token),
            ttl_s: info.lease_duration,
            asked_s: info.lease_duration,
            renewable: info.renewable,
            accessor: info.accessor,
            source,
        }
    }
}

/// Logs in as the settings say and returns the client token to use for the reads. One login:
/// only a refused attempt (429, 5xx, no connection) is tried again.
pub(crate) async fn login(
    client: &mut VaultClient,
    settings: &VaultSettings,
    env: &BTreeMap<String, String>,
    budget: &Budget,
) -> Result<Login, VaultFailure> {
    match settings.auth {
        AuthMethod::Token => token(client, settings, env, budget).await,
        AuthMethod::Kubernetes => kubernetes(client, settings, budget).await,
        AuthMethod::Approle => approle(client, settings, env, budget).await,
        AuthMethod::Agent => agent(client, settings, budget).await,
    }
}

/// Through a Vault / OpenBao Agent with `use_auto_auth_token`: no token of our own (the agent
/// adds its auto-auth token to requests without one). `auth/token/lookup-self` checks that it
/// does, so a plain Vault or an agent without the setting is an `auth_failed` saying so. The
/// agent renews and replaces its own token: the login has no expiry for the keeper.
async fn agent(
    client: &VaultClient,
    settings: &VaultSettings,
    budget: &Budget,
) -> Result<Login, VaultFailure> {
    let target = Target {
        addr: &settings.addr,
        api_path: "auth/token/lookup-self",
        source: &settings.addr_source,
        auth: true,
    };
    let accessor = with_retries(&target, budget, || agent_lookup_self(client))
        .await
        .map_err(|mut f| {
            if f.kind == kind::AUTH_FAILED {
                f.message = format!(
                    "vault at `{}` refused a request without a token (HTTP {}): with \
                     VAULT_AUTH_METHOD=agent, VAULT_ADDR must be a Vault/OpenBao Agent whose \
                     api_proxy sets use_auto_auth_token",
                    settings.addr,
                    f.status.unwrap_or_default()
                );
            }
            f
        })?;
    Ok(Login {
        token: Secret::new(String::new()),
        ttl_s: 0,
        asked_s: 0,
        renewable: false,
        accessor,
        source: settings.addr_source.clone(),
    })
}

/// `auth/token/lookup-self` through an agent, which leaves the token's `id` and `accessor`
/// out of the answer: only `data` is required. Returns the accessor when there is one.
async fn agent_lookup_self(client: &VaultClient) -> Result<String, Refusal> {
    let endpoint = LookupTokenSelfRequest::builder()
        .build()
        .map_err(|_| ClientError::ResponseEmptyError)?;
    let answer = client::exec(client, endpoint).await?;
    let body: serde_json::Value = serde_json::from_slice(answer.response.body())
        .map_err(|source| ClientError::JsonParseError { source })?;
    let data = body
        .get("data")
        .and_then(serde_json::Value::as_object)
        .ok_or(ClientError::ResponseDataEmptyError)?;
    Ok(data
        .get("accessor")
        .and_then(serde_json::Value::as_str)
        .unwrap_or_default()
        .to_owned())
}

async fn token(
    client: &mut VaultClient,
    settings: &VaultSettings,
    env: &BTreeMap<String, String>,
    budget: &Budget,
) -> Result<Login, VaultFailure> {
    let (token, origin) = find_token(env)?;
    // Checking the token first tells an expired or bogus token (auth_failed) apart from a
    // policy that denies a path (permission_denied): both are a 403 on the read itself.
    client.set_token(&token);
    let checker = &*client;
    let target = Target {
        addr: &settings.addr,
        api_path: "auth/token/lookup-self",
        source: &origin,
        auth: true,
    };
    let info = with_retries(&target, budget, || lookup_self(checker))
    .await
    .map_err(|mut f| {
        if f.kind == kind::AUTH_FAILED {
            f.message = format!(
                "vault at `{}` rejected the token from {origin} (HTTP {}): it is expired, revoked or unknown",
                settings.addr,
                f.status.unwrap_or_default()
            );
        }
        f
    })?;
    Ok(Login {
        token: Secret::new(token),
        ttl_s: info.ttl,
        asked_s: if info.creation_ttl > 0 {
            info.creation_ttl
        } else {
            info.ttl
        },
        renewable: info.renewable.unwrap_or(false),
        accessor: info.accessor,
        source: origin,
    })
}

/// `VAULT_TOKEN`, else the file `$HOME/.vault-token`; returns the token and where it came from.
fn find_token(env: &BTreeMap<String, String>) -> Result<(String, String), VaultFailure> {
    if let Some(token) = env.get("VAULT_TOKEN").map(|t| t.trim()) {
        if !token.is_empty() {
            return Ok((token.to_owned(), "VAULT_TOKEN".to_owned()));
        }
    }
    let home = env.get("HOME").filter(|h| !h.is_empty());
    if let Some(home) = home {
        let path = std::path::Path::new(home).join(".vault-token");
        // A regular file of at most 64 KiB, read without blocking: a FIFO there would
        // otherwise hang the resolution outside every Vault deadline.
        match crate::fs::read_text(&path, crate::fs::MAX_TOKEN_FILE) {
            Ok(text) => {
                let token = text.trim();
                if !token.is_empty() {
                    return Ok((token.to_owned(), path.display().to_string()));
                }
            }
            Err(crate::fs::ReadError::Io(_)) if !path.exists() => {}
            Err(e) => {
                let shown = path.display().to_string();
                return Err(failure::failure(
                    kind::CONFIG,
                    shown.clone(),
                    None,
                    format!("cannot read the vault token file `{shown}`: {e}"),
                ));
            }
        }
    }
    Err(failure::failure(
        kind::CONFIG,
        "VAULT_TOKEN",
        None,
        "no vault token: VAULT_TOKEN is not set and there is no `~/.vault-token` \
         (or set VAULT_AUTH_METHOD to kubernetes or approle)",
    ))
}

async fn kubernetes(
    client: &VaultClient,
    settings: &VaultSettings,
    budget: &Budget,
) -> Result<Login, VaultFailure> {
    let role = settings
        .k8s_role
        .as_deref()
        .filter(|r| !r.is_empty())
        .ok_or_else(|| {
            failure::failure(
                kind::CONFIG,
                "VAULT_K8S_ROLE",
                None,
                "kubernetes auth needs a vault role: set VAULT_K8S_ROLE",
            )
        })?;
    let path = &settings.k8s_token_path;
    let jwt =
        crate::fs::read_text(std::path::Path::new(path), crate::fs::MAX_TOKEN_FILE).map_err(
            |e| {
                failure::failure(
            kind::CONFIG,
            path.clone(),
            None,
            format!("cannot read the service-account token `{path}` (VAULT_K8S_TOKEN_PATH): {e}"),
        )
            },
        )?;
    let jwt = jwt.trim();
    if jwt.is_empty() {
        return Err(failure::failure(
            kind::CONFIG,
            path.clone(),
            None,
            format!("the service-account token `{path}` (VAULT_K8S_TOKEN_PATH) is empty"),
        ));
    }
    let mount = &settings.k8s_mount;
    let api_path = format!("auth/{mount}/login");
    let target = Target {
        addr: &settings.addr,
        api_path: &api_path,
        source: &api_path,
        auth: true,
    };
    with_retries(&target, budget, || async move {
        let endpoint = LoginWithKubernetesRequest::builder()
            .mount(mount)
            .role(role)
            .jwt(jwt)
            .build()
            .map_err(|_| ClientError::ResponseEmptyError)?;
        client::login_auth(&client::exec(client, endpoint).await?)
    })
    .await
    .map_err(|f| with_role(f, "kubernetes", role))
    .map(|info| Login::from_auth(info, api_path.clone()))
}

async fn approle(
    client: &VaultClient,
    settings: &VaultSettings,
    env: &BTreeMap<String, String>,
    budget: &Budget,
) -> Result<Login, VaultFailure> {
    let role_id = settings
        .role_id
        .as_deref()
        .filter(|r| !r.is_empty())
        .ok_or_else(|| {
            failure::failure(
                kind::CONFIG,
                "VAULT_ROLE_ID",
                None,
                "approle auth needs a role id: set VAULT_ROLE_ID",
            )
        })?;
    let secret_id = env
        .get("VAULT_SECRET_ID")
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .ok_or_else(|| {
            failure::failure(
                kind::CONFIG,
                "VAULT_SECRET_ID",
                None,
                "approle auth needs a secret id: set VAULT_SECRET_ID",
            )
        })?;
    let mount = &settings.approle_mount;
    let api_path = format!("auth/{mount}/login");
    let target = Target {
        addr: &settings.addr,
        api_path: &api_path,
        source: &api_path,
        auth: true,
    };
    with_retries(&target, budget, || async move {
        let endpoint = LoginWithApproleRequest::builder()
            .mount(mount)
            .role_id(role_id)
            .secret_id(secret_id)
            .build()
            .map_err(|_| ClientError::ResponseEmptyError)?;
        client::login_auth(&client::exec(client, endpoint).await?)
    })
    .await
    .map_err(|f| with_role(f, "approle", "VAULT_ROLE_ID"))
    .map(|info| Login::from_auth(info, api_path.clone()))
}

/// `auth/token/lookup-self`: the token is valid (its details are not needed).
async fn lookup_self(client: &VaultClient) -> Result<LookupTokenResponse, Refusal> {
    let endpoint = LookupTokenSelfRequest::builder()
        .build()
        .map_err(|_| ClientError::ResponseEmptyError)?;
    let answer = client::exec(client, endpoint).await?;
    client::data(&answer)
}

fn with_role(mut f: VaultFailure, method: &str, role: &str) -> VaultFailure {
    if f.kind == kind::AUTH_FAILED {
        f.message = format!("{method} login with role `{role}` failed: {}", f.message);
    }
    f
}
