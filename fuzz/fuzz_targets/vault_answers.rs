//! Vault answers as a call carries them (the preview's pasted answers): any JSON under
//! `vault`, resolved with Vault configured. Never a panic; a secret value given by the
//! answers never appears in the masked document.
#![no_main]

use dbstack_core::ffi;
use libfuzzer_sys::fuzz_target;

const SENTINEL: &str = "fuzz-sentinel-secret-9731";

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(vault) = serde_json::from_str::<serde_json::Value>(text) else {
        return;
    };
    let call = serde_json::json!({
        "env": {"VAULT_ADDR": "http://vault:8200", "VAULT_TOKEN": SENTINEL, "DBSTACK_PROFILE": "production"},
        "vault": vault,
    })
    .to_string();
    let answer = ffi::resolve_json(&call);
    assert!(!answer.contains(SENTINEL), "{answer}");
    let _ = ffi::explain_json(&call);
});
