//! check-infra's Terraform reader (hcl-edit, then the bounded evaluator of variables, locals
//! and module arguments): no panic, no stack overflow, bounded work (expansion limit), an error
//! names one of the files. The input is split into a module and a root that calls it.
//! hcl-edit backtracks exponentially on some malformed input: such a parse is abandoned at the
//! 5 s deadline (`TooSlow`) and its thread spins until the fuzzer exits (BENCHMARKS.md).
#![no_main]

use dbstack_infra::InfraError;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (root, module) = text.split_once("\n---\n").unwrap_or(("", text));
    let files = [
        ("t/main.tf".to_owned(), root.to_owned()),
        ("t/modules/m/main.tf".to_owned(), module.to_owned()),
    ];
    if let Err(err) = dbstack_infra::parse(&[], &files) {
        assert!(err.file() == "t/main.tf" || err.file() == "t/modules/m/main.tf", "{err}");
        if let InfraError::Syntax { line, .. }
        | InfraError::TooDeep { line, .. }
        | InfraError::Expansion { line, .. }
        | InfraError::Invalid { line, .. } = err
        {
            assert!(line >= 1 && line <= text.split('\n').count(), "line {line}");
        }
    }
});
