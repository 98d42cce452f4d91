//! `dbstack vault policy`: the HCL text is stable (snapshots), parses as HCL, and grants
//! exactly the plan's reads plus the credential keeper's four endpoints.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use dbstack_core::policy::{policy_hcl, rules, KEEPER_RULES};
use dbstack_core::vault::ReadKind;
use dbstack_core::Stack;
use dbstack_core::{vault_reads, StackSource};
use hcl_edit::expr::Expression;

fn roles_stack() -> Stack {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/stacks/vault_roles.toml"
    );
    Stack::parse(&StackSource {
        name: "tests/stacks/vault_roles.toml".into(),
        text: std::fs::read_to_string(path).unwrap(),
    })
    .unwrap()
}

/// Every `path "<p>" { capabilities = [...] }` block of an HCL policy, in order.
fn parse_back(hcl: &str) -> Vec<(String, Vec<String>)> {
    let body = hcl_edit::parser::parse_body(hcl).unwrap_or_else(|e| panic!("{e}\n{hcl}"));
    let mut out = Vec::new();
    for structure in body.iter() {
        let block = structure
            .as_block()
            .unwrap_or_else(|| panic!("only blocks at the top: {structure:?}"));
        assert_eq!(block.ident.as_str(), "path");
        assert_eq!(block.labels.len(), 1);
        let label = block.labels[0].as_str().to_owned();
        let attrs: Vec<_> = block.body.attributes().collect();
        assert_eq!(attrs.len(), 1, "{label}: one attribute");
        assert_eq!(attrs[0].key.as_str(), "capabilities");
        let Expression::Array(items) = &attrs[0].value else {
            panic!("{label}: capabilities is not a list")
        };
        let caps = items
            .iter()
            .map(|e| match e {
                Expression::String(s) => s.value().to_string(),
                other => panic!("{label}: {other:?}"),
            })
            .collect();
        out.push((label, caps));
    }
    out
}

fn expected(stack: &Stack) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = vault_reads(stack)
        .into_iter()
        .map(|r| (r.api_path, vec!["read".to_owned()]))
        .collect();
    out.extend(
        KEEPER_RULES
            .iter()
            .map(|(p, c, _)| ((*p).to_owned(), vec![(*c).to_owned()])),
    );
    out
}

#[test]
fn builtin_policy_snapshot() {
    insta::assert_snapshot!("policy_builtin", policy_hcl(Stack::builtin_ref()));
}

#[test]
fn vault_roles_policy_snapshot() {
    insta::assert_snapshot!("policy_vault_roles", policy_hcl(&roles_stack()));
}

#[test]
fn the_policy_parses_back_to_exactly_the_plan_and_the_keeper() {
    for stack in [Stack::builtin(), roles_stack()] {
        let hcl = policy_hcl(&stack);
        let parsed = parse_back(&hcl);
        assert_eq!(parsed, expected(&stack), "{hcl}");
        // Only `read` and `update`, no globs, no duplicate paths.
        for (path, caps) in &parsed {
            assert!(!path.contains('*') && !path.contains('+'), "{path}");
            assert!(
                caps.iter().all(|c| c == "read" || c == "update"),
                "{caps:?}"
            );
        }
        let mut paths: Vec<&String> = parsed.iter().map(|(p, _)| p).collect();
        paths.sort();
        paths.dedup();
        assert_eq!(paths.len(), parsed.len());
        // Same text on a second call: deterministic.
        assert_eq!(hcl, policy_hcl(&stack));
    }
}

#[test]
fn every_dynamic_credentials_path_is_commented_with_its_aliases() {
    let stack = roles_stack();
    let rules = rules(&stack);
    let creds: Vec<_> = vault_reads(&stack)
        .into_iter()
        .filter(|r| matches!(r.kind, ReadKind::DatabaseCreds { .. }))
        .collect();
    assert_eq!(creds.len(), 3);
    for read in creds {
        let rule = rules.iter().find(|r| r.path == read.api_path).unwrap();
        let alias = read.purpose.trim_start_matches("alias:");
        assert!(rule.reason.contains(&format!("`{alias}`")), "{rule:?}");
    }
}

#[test]
fn a_glob_or_a_dot_dot_in_the_stack_is_refused_before_it_reaches_a_policy() {
    for (key, value) in [
        ("kv_mount", "se*cret"),
        ("kv_prefix", "apps/+"),
        ("database_mount", "../sys"),
        ("kv_prefix", "a//b"),
    ] {
        let text =
            format!("[aliases.default]\nservice = \"supabase\"\n\n[vault]\n{key} = \"{value}\"\n");
        let err = Stack::parse(&StackSource {
            name: "s.toml".into(),
            text,
        })
        .unwrap_err();
        let message = err.to_string();
        assert!(
            message.contains(&format!("vault.{key}")) && message.contains("s.toml:5:"),
            "{message}"
        );
    }
    let err = Stack::parse(&StackSource {
        name: "s.toml".into(),
        text: "[aliases.default]\nservice = \"supabase\"\nvault_role = \"a/b\"\n".into(),
    })
    .unwrap_err();
    assert!(
        err.to_string().contains("aliases.default.vault_role"),
        "{err}"
    );
}

/// `[vault] kv_services` (issue 14): the policy grants the listed services' KV secrets only, in
/// the catalog's order, whatever the list's.
#[test]
fn the_policy_grants_only_the_kv_services_listed() {
    let stack = Stack::parse(&StackSource {
        name: "s.toml".into(),
        text: "[aliases.default]\nservice = \"supabase\"\n\n[vault]\nkv_services = [\"rocketmq\", \"supabase\"]\n".into(),
    })
    .unwrap();
    let hcl = policy_hcl(&stack);
    let parsed = parse_back(&hcl);
    assert_eq!(parsed, expected(&stack), "{hcl}");
    let kv: Vec<&str> = parsed
        .iter()
        .map(|(p, _)| p.as_str())
        .filter(|p| p.starts_with("secret/"))
        .collect();
    assert_eq!(
        kv,
        [
            "secret/data/dbstack/supabase",
            "secret/data/dbstack/rocketmq"
        ],
        "{hcl}"
    );
    assert!(
        !hcl.contains("ragflow") && !hcl.contains("dragonfly"),
        "{hcl}"
    );
}
