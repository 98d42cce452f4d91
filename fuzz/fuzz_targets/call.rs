//! The call parser of the WASM and Python packages (`resolve_json`, `plan_json`,
//! `explain_json`): every text gets a JSON answer, never a panic.
#![no_main]

use dbstack_core::ffi;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(call) = std::str::from_utf8(data) else {
        return;
    };
    for answer in [
        ffi::resolve_json(call),
        ffi::plan_json(call),
        ffi::explain_json(call),
    ] {
        let value: serde_json::Value = serde_json::from_str(&answer).expect("a JSON answer");
        assert!(value.get("ok").is_some(), "{answer}");
    }
});
