//! The stack-file parser (nesting limit, basic-toml, the position index): no panic, no stack
//! overflow; an error's line is within the text.
#![no_main]

use dbstack_core::Stack;
use dbstack_core::{ResolveError, StackSource};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let source = StackSource {
        name: "fuzz.toml".into(),
        text: text.to_owned(),
    };
    if let Err(ResolveError::InvalidStack { line, .. }) = Stack::parse(&source) {
        assert!(line >= 1 && line <= text.split('\n').count(), "line {line}");
    }
});
