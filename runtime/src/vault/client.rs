//! Builds the vaultrs client from the plan's settings, never from the process environment
//! (vaultrs' defaults read `VAULT_*` itself; every field is set explicitly here).

use std::time::Duration;

use dbstack_core::vault::{VaultFailure, VaultSettings};
use vaultrs::client::{VaultClient, VaultClientSettingsBuilder};

use super::failure::{self, classify, kind, Target};

pub(crate) fn build(settings: &VaultSettings) -> Result<VaultClient, VaultFailure> {
    // reqwest is built without a bundled crypto provider; ring is ours. A provider installed
    // earlier by someone else in the process is fine too.
    let _ = rustls::crypto::ring::default_provider().install_default();

    let addr = settings.addr.as_str();
    let url = reqwest::Url::parse(addr).map_err(|e| {
        failure::failure(
            kind::CONFIG,
            settings.addr_source.clone(),
            None,
            format!(
                "vault address `{addr}` from {} is not a url: {e}",
                settings.addr_source
            ),
        )
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(failure::failure(
            kind::CONFIG,
            settings.addr_source.clone(),
            None,
            format!(
                "vault address `{addr}` from {} must start with http:// or https://",
                settings.addr_source
            ),
        ));
    }
    if let Some(path) = &settings.cacert {
        if !std::path::Path::new(path).is_file() {
            return Err(failure::failure(
                kind::CONFIG,
                path.clone(),
                None,
                format!("the CA certificate `{path}` from VAULT_CACERT does not exist"),
            ));
        }
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
        failure::failure(
            kind::CONFIG,
            settings.addr_source.clone(),
            None,
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
        classify(&e, &target).failure
    })
}
