//! check-infra's YAML reader (yaml-rust2 events into located nodes, then Kubernetes objects):
//! no panic, no stack overflow (nesting limit), an error names the file and a line within it.
#![no_main]

use dbstack_infra::InfraError;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let manifests = [("k/fuzz.yaml".to_owned(), text.to_owned())];
    if let Err(err) = dbstack_infra::parse(&manifests, &[]) {
        assert_eq!(err.file(), "k/fuzz.yaml");
        if let InfraError::Syntax { line, .. }
        | InfraError::TooDeep { line, .. }
        | InfraError::Invalid { line, .. } = err
        {
            // YAML breaks lines at a lone `\r` too.
            assert!(line >= 1 && line <= text.split(['\n', '\r']).count(), "line {line}");
        }
    }
});
