//! The scrubber: whatever a server sends around a secret, no form of it survives.
#![no_main]

use dbstack_core::{scrub, MIN_SECRET};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // The first line is the secret, the rest the server's text with the secret inside.
    let Some((secret, around)) = text.split_once('\n') else {
        return;
    };
    if secret.len() < MIN_SECRET || secret.contains('*') {
        return;
    }
    let middle = around
        .char_indices()
        .map(|(i, _)| i)
        .nth(around.chars().count() / 2)
        .unwrap_or(around.len());
    let (before, after) = around.split_at(middle);
    let said = format!("{before}{secret}{after}");
    let scrubbed = scrub(&said, &[secret]);
    assert!(!scrubbed.contains(secret), "{said:?} -> {scrubbed:?}");
});
