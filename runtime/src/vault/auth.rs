//! Authentication: a token (`VAULT_TOKEN`, else `~/.vault-token`), checked with
//! `auth/token/lookup-self`; Kubernetes (service-account JWT); AppRole.

use std::collections::BTreeMap;

use dbstack_core::vault::{AuthMethod, VaultFailure, VaultSettings};
use vaultrs::client::{Client as _, VaultClient};

use super::failure::{self, kind, Target};
use super::with_retries;

/// Logs in as the settings say and returns the client token to use for the reads.
pub(crate) async fn login(
    client: &mut VaultClient,
    settings: &VaultSettings,
    env: &BTreeMap<String, String>,
) -> Result<String, VaultFailure> {
    match settings.auth {
        AuthMethod::Token => token(client, settings, env).await,
        AuthMethod::Kubernetes => kubernetes(client, settings).await,
        AuthMethod::Approle => approle(client, settings, env).await,
    }
}

async fn token(
    client: &mut VaultClient,
    settings: &VaultSettings,
    env: &BTreeMap<String, String>,
) -> Result<String, VaultFailure> {
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
    with_retries(&target, settings.timeout_ms, || {
        vaultrs::token::lookup_self(checker)
    })
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
    Ok(token)
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
        if let Ok(text) = std::fs::read_to_string(&path) {
            let token = text.trim();
            if !token.is_empty() {
                return Ok((token.to_owned(), path.display().to_string()));
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
) -> Result<String, VaultFailure> {
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
    let jwt = std::fs::read_to_string(path).map_err(|e| {
        failure::failure(
            kind::CONFIG,
            path.clone(),
            None,
            format!("cannot read the service-account token `{path}` (VAULT_K8S_TOKEN_PATH): {e}"),
        )
    })?;
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
    let info = with_retries(&target, settings.timeout_ms, || {
        vaultrs::auth::kubernetes::login(client, mount, role, jwt)
    })
    .await
    .map_err(|f| with_role(f, "kubernetes", role))?;
    Ok(info.client_token)
}

async fn approle(
    client: &VaultClient,
    settings: &VaultSettings,
    env: &BTreeMap<String, String>,
) -> Result<String, VaultFailure> {
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
    let info = with_retries(&target, settings.timeout_ms, || {
        vaultrs::auth::approle::login(client, mount, role_id, secret_id)
    })
    .await
    .map_err(|f| with_role(f, "approle", "VAULT_ROLE_ID"))?;
    Ok(info.client_token)
}

fn with_role(mut f: VaultFailure, method: &str, role: &str) -> VaultFailure {
    if f.kind == kind::AUTH_FAILED {
        f.message = format!("{method} login with role `{role}` failed: {}", f.message);
    }
    f
}
