//! Authentication: a token (`VAULT_TOKEN`, else `~/.vault-token`), checked with
//! `auth/token/lookup-self`; Kubernetes (service-account JWT); AppRole; none through a
//! Vault/OpenBao Agent (`agent`).

use std::collections::BTreeMap;
use std::future::Future;

use dbstack_core::vault::{AuthMethod, VaultFailure, VaultSettings};
use dbstack_core::Secret;
use rustify::endpoint::Endpoint;
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

/// Logs in as the settings say and returns the client token to use for the reads. One login:
/// only a refused attempt (429, 5xx, no connection) is tried again.
pub(crate) async fn login(
    client: &mut VaultClient,
    settings: &VaultSettings,
    env: &BTreeMap<String, String>,
    budget: &Budget,
) -> Result<Login, VaultFailure> {
    let mut auth = Auth {
        client,
        settings,
        budget,
    };
    match settings.auth {
        AuthMethod::Token => auth.token(env).await,
        AuthMethod::Kubernetes => auth.kubernetes().await,
        AuthMethod::Approle => auth.approle(env).await,
        AuthMethod::Agent => auth.agent().await,
    }
}

/// What a login talks to: the client, the settings and the exchange's time limits.
struct Auth<'a> {
    client: &'a mut VaultClient,
    settings: &'a VaultSettings,
    budget: &'a Budget,
}

const LOOKUP_SELF: &str = "auth/token/lookup-self";

impl Auth<'_> {
    /// `api_path` (`source` names what it uses) with the retry policy, as a login: a 4xx is
    /// an `auth_failed`, whose message `refused` writes.
    async fn attempt<T, Fut>(
        &self,
        (api_path, source): (&str, &str),
        call: impl FnMut() -> Fut,
        refused: impl FnOnce(&VaultFailure) -> String,
    ) -> Result<T, VaultFailure>
    where
        Fut: Future<Output = Result<T, Refusal>>,
    {
        let target = Target {
            addr: &self.settings.addr,
            api_path,
            source,
            auth: true,
        };
        with_retries(&target, self.budget, call)
            .await
            .map_err(|mut f| {
                if f.kind == kind::AUTH_FAILED {
                    f.message = refused(&f);
                }
                f
            })
    }

    /// Through a Vault / OpenBao Agent with `use_auto_auth_token`: no token of our own (the
    /// agent adds its auto-auth token to requests without one). `auth/token/lookup-self`
    /// checks that it does, so a plain Vault or an agent without the setting is an
    /// `auth_failed` saying so. The agent renews and replaces its own token: the login has no
    /// expiry for the keeper.
    async fn agent(&self) -> Result<Login, VaultFailure> {
        let refused = |f: &VaultFailure| {
            format!(
                "vault at `{}` refused a request without a token (HTTP {}): with \
                 VAULT_AUTH_METHOD=agent, VAULT_ADDR must be a Vault/OpenBao Agent whose \
                 api_proxy sets use_auto_auth_token",
                self.settings.addr,
                f.status.unwrap_or_default()
            )
        };
        let source = &self.settings.addr_source;
        let lookup = || agent_lookup_self(self.client);
        let accessor = self.attempt((LOOKUP_SELF, source), lookup, refused).await?;
        Ok(Login {
            token: Secret::new(String::new()),
            ttl_s: 0,
            asked_s: 0,
            renewable: false,
            accessor,
            source: source.clone(),
        })
    }

    async fn token(&mut self, env: &BTreeMap<String, String>) -> Result<Login, VaultFailure> {
        let (token, origin) = find_token(env)?;
        // Checking the token first tells an expired or bogus token (auth_failed) apart from a
        // policy that denies a path (permission_denied): both are a 403 on the read itself.
        self.client.set_token(&token);
        let refused = |f: &VaultFailure| {
            format!(
                "vault at `{}` rejected the token from {origin} (HTTP {}): it is expired, \
                 revoked or unknown",
                self.settings.addr,
                f.status.unwrap_or_default()
            )
        };
        // `auth/token/lookup-self`: the token is valid (and how long it lives).
        let lookup = || async {
            let answer = client::exec(self.client, LookupTokenSelfRequest::default()).await?;
            client::data::<LookupTokenResponse>(&answer)
        };
        let info = self
            .attempt((LOOKUP_SELF, &origin), lookup, refused)
            .await?;
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

    async fn kubernetes(&self) -> Result<Login, VaultFailure> {
        let settings = self.settings;
        let role = required(
            settings.k8s_role.as_deref(),
            "VAULT_K8S_ROLE",
            "kubernetes auth needs a vault role: set VAULT_K8S_ROLE",
        )?;
        let path = &settings.k8s_token_path;
        let config = |message: String| failure::failure(kind::CONFIG, path.clone(), None, message);
        let jwt = crate::fs::read_text(std::path::Path::new(path), crate::fs::MAX_TOKEN_FILE)
            .map_err(|e| {
                config(format!(
                    "cannot read the service-account token `{path}` (VAULT_K8S_TOKEN_PATH): {e}"
                ))
            })?;
        let jwt = jwt.trim();
        if jwt.is_empty() {
            return Err(config(format!(
                "the service-account token `{path}` (VAULT_K8S_TOKEN_PATH) is empty"
            )));
        }
        let endpoint = || LoginWithKubernetesRequest {
            mount: settings.k8s_mount.clone(),
            role: role.to_owned(),
            jwt: jwt.to_owned(),
        };
        self.login_at(&settings.k8s_mount, endpoint, ("kubernetes", role))
            .await
    }

    async fn approle(&self, env: &BTreeMap<String, String>) -> Result<Login, VaultFailure> {
        let role_id = required(
            self.settings.role_id.as_deref(),
            "VAULT_ROLE_ID",
            "approle auth needs a role id: set VAULT_ROLE_ID",
        )?;
        let secret_id = required(
            env.get("VAULT_SECRET_ID").map(|s| s.trim()),
            "VAULT_SECRET_ID",
            "approle auth needs a secret id: set VAULT_SECRET_ID",
        )?;
        let mount = &self.settings.approle_mount;
        let endpoint = || LoginWithApproleRequest {
            mount: mount.clone(),
            role_id: role_id.to_owned(),
            secret_id: secret_id.to_owned(),
        };
        self.login_at(mount, endpoint, ("approle", "VAULT_ROLE_ID"))
            .await
    }

    /// Logs in at `auth/<mount>/login` with the request `endpoint` makes; a refusal names the
    /// method and role of `(method, role)`.
    async fn login_at<E: Endpoint<Response = ()>>(
        &self,
        mount: &str,
        endpoint: impl Fn() -> E,
        (method, role): (&str, &str),
    ) -> Result<Login, VaultFailure> {
        let api_path = format!("auth/{mount}/login");
        // The `auth` block of the answer: `client_token`, `lease_duration`, ...
        let call = || async {
            let answer = client::exec(self.client, endpoint()).await?;
            Ok(client::envelope(&answer)?
                .auth
                .ok_or(ClientError::ResponseEmptyError)?)
        };
        let refused =
            |f: &VaultFailure| format!("{method} login with role `{role}` failed: {}", f.message);
        let info = self.attempt((&api_path, &api_path), call, refused).await?;
        Ok(Login {
            token: Secret::new(info.client_token),
            ttl_s: info.lease_duration,
            asked_s: info.lease_duration,
            renewable: info.renewable,
            accessor: info.accessor,
            source: api_path,
        })
    }
}

/// `value` when it is set and not empty, else a `config` failure naming `variable`.
fn required<'a>(
    value: Option<&'a str>,
    variable: &str,
    why: &str,
) -> Result<&'a str, VaultFailure> {
    value
        .filter(|v| !v.is_empty())
        .ok_or_else(|| failure::failure(kind::CONFIG, variable, None, why))
}

/// `auth/token/lookup-self` through an agent, which leaves the token's `id` and `accessor`
/// out of the answer: only `data` is required. Returns the accessor when there is one.
async fn agent_lookup_self(client: &VaultClient) -> Result<String, Refusal> {
    let answer = client::exec(client, LookupTokenSelfRequest::default()).await?;
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

/// `VAULT_TOKEN`, else the file `$HOME/.vault-token`; returns the token and where it came from.
fn find_token(env: &BTreeMap<String, String>) -> Result<(String, String), VaultFailure> {
    if let Some(token) = env.get("VAULT_TOKEN").map(|t| t.trim()) {
        if !token.is_empty() {
            return Ok((token.to_owned(), "VAULT_TOKEN".to_owned()));
        }
    }
    if let Some(home) = env.get("HOME").filter(|h| !h.is_empty()) {
        let path = std::path::Path::new(home).join(".vault-token");
        let shown = path.display().to_string();
        // A regular file of at most 64 KiB, read without blocking: a FIFO there would
        // otherwise hang the resolution outside every Vault deadline.
        let text = crate::fs::read_text_if_any(&path, crate::fs::MAX_TOKEN_FILE).map_err(|e| {
            let message = format!("cannot read the vault token file `{shown}`: {e}");
            failure::failure(kind::CONFIG, shown.clone(), None, message)
        })?;
        if let Some(token) = text.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            return Ok((token.to_owned(), shown));
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
