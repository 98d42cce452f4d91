//! The README documents every variable dbstack reads, and the catalog's names and ports.

#[test]
fn readme_lists_every_variable() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap();
    for var in dbstack_core::env_vars::KNOWN {
        assert!(
            readme.contains(&format!("| `{}` |", var.name)),
            "README.md's variable table lacks {}",
            var.name
        );
    }
}

#[test]
fn readme_stack_table_matches_the_catalog() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap();
    for kind in dbstack_core::catalog::ServiceKind::ALL {
        let spec = kind.spec();
        let row = readme
            .lines()
            .find(|l| l.starts_with(&format!("| {:<9} |", spec.name)))
            .unwrap_or_else(|| panic!("README.md has no row for {}", spec.name));
        assert!(
            row.contains(&format!("| {} |", spec.port)),
            "port of {} in README: {row}",
            spec.name
        );
        if let Some(svc) = spec.k8s_service {
            assert!(
                row.contains(&format!("`{svc}`")),
                "Service of {} in README: {row}",
                spec.name
            );
        }
    }
}
