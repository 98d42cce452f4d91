//! The least-privilege Vault policy of a stack (`dbstack vault policy`): `read` on exactly the
//! paths a resolution reads ([`vault_reads`], the plan's reads) plus what the credential keeper
//! does with its own token and leases, each path commented with where it comes from.
//! Deterministic: the same stack gives the same text, byte for byte.

use crate::resolve::vault_reads;
use crate::stack::Stack;
use crate::vault::ReadKind;

/// One `path` block of the policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyRule {
    /// The API path, as a policy names it (`secret/data/dbstack/supabase`).
    pub path: String,
    /// `read` or `update`.
    pub(crate) capability: &'static str,
    /// Why it is there (one line, written as a comment above the block).
    pub reason: String,
}

/// What the credential keeper calls besides login and the reads, and the capability each needs.
pub const KEEPER_RULES: [(&str, &str, &str); 4] = [
    (
        "auth/token/lookup-self",
        "read",
        "credential keeper: look up its own token (TTL, renewable)",
    ),
    (
        "auth/token/renew-self",
        "update",
        "credential keeper: renew its own token at 2/3 of its TTL",
    ),
    (
        "sys/leases/renew",
        "update",
        "credential keeper: renew the leases of its database credentials",
    ),
    (
        "sys/leases/revoke",
        "update",
        "credential keeper: revoke its leases when the process exits",
    ),
];

/// The rules of the policy: the plan's reads in plan order, then the keeper's four.
pub fn rules(stack: &Stack) -> Vec<PolicyRule> {
    let reads = vault_reads(stack).into_iter().map(|read| {
        let reason = match &read.kind {
            ReadKind::Kv2 { .. } => format!(
                "KV v2 secret of service `{}` ({}; [vault] kv_mount, kv_prefix)",
                read.purpose, read.path
            ),
            ReadKind::DatabaseCreds { role, .. } => {
                let aliases: Vec<String> = read
                    .purpose
                    .split(',')
                    .map(|p| format!("`{}`", p.trim_start_matches("alias:")))
                    .collect();
                let noun = if aliases.len() == 1 { "alias" } else { "aliases" };
                format!(
                    "dynamic database credentials of {noun} {} (vault_role `{role}`; [vault] database_mount)",
                    aliases.join(", ")
                )
            }
        };
        PolicyRule {
            path: read.api_path,
            capability: "read",
            reason,
        }
    });
    let keeper = KEEPER_RULES.map(|(path, capability, reason)| PolicyRule {
        path: path.to_owned(),
        capability,
        reason: reason.to_owned(),
    });
    reads.chain(keeper).collect()
}

/// The policy as HCL text.
pub fn policy_hcl(stack: &Stack) -> String {
    let mut out = format!(
        "# Vault policy of the dbstack application ({}), written by `dbstack vault policy`.\n\
         # `read` on exactly the paths a resolution reads (`dbstack plan`), and what the credential\n\
         # keeper does with its own token and leases. Nothing else.\n",
        stack.origin
    );
    for rule in rules(stack) {
        out.push_str(&format!(
            "\n# {}\npath {} {{\n  capabilities = [\"{}\"]\n}}\n",
            rule.reason,
            quoted(&rule.path),
            rule.capability
        ));
    }
    out
}

/// An HCL string literal. Stack names are validated (`Stack::parse`), so escaping is a
/// safety net, not a path people use.
fn quoted(text: &str) -> String {
    let escaped = text
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
        // `${` and `%{` start template sequences in HCL strings.
        .replace("${", "$${")
        .replace("%{", "%%{");
    format!("\"{escaped}\"")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;
    use crate::input::StackSource;

    fn stack(text: &str) -> Stack {
        Stack::parse(&StackSource {
            name: "stack.toml".into(),
            text: text.into(),
        })
        .unwrap()
    }

    #[test]
    fn builtin_stack_reads_four_kv_secrets_and_nothing_dynamic() {
        let paths: Vec<String> = rules(Stack::builtin_ref())
            .into_iter()
            .map(|r| format!("{} {}", r.capability, r.path))
            .collect();
        assert_eq!(
            paths,
            [
                "read secret/data/dbstack/supabase",
                "read secret/data/dbstack/dragonfly",
                "read secret/data/dbstack/ragflow",
                "read secret/data/dbstack/rocketmq",
                "read auth/token/lookup-self",
                "update auth/token/renew-self",
                "update sys/leases/renew",
                "update sys/leases/revoke",
            ]
        );
    }

    #[test]
    fn a_role_shared_by_two_aliases_is_one_rule_naming_both() {
        let s = stack(
            "[aliases.default]\nservice = \"supabase\"\nvault_role = \"app\"\n\
             [aliases.agent_db]\nservice = \"supabase\"\nvault_role = \"app\"\n\
             [aliases.legacy]\nservice = \"mariadb\"\nvault_role = \"legacy\"\n\
             [vault]\nkv_mount = \"kv\"\nkv_prefix = \"\"\ndatabase_mount = \"db/pg\"\n",
        );
        let rules = rules(&s);
        let creds: Vec<&PolicyRule> = rules
            .iter()
            .filter(|r| r.path.starts_with("db/pg/"))
            .collect();
        assert_eq!(creds.len(), 2, "{rules:?}");
        assert_eq!(creds[0].path, "db/pg/creds/app");
        assert!(
            creds[0].reason.contains("aliases `default`, `agent_db`"),
            "{}",
            creds[0].reason
        );
        assert_eq!(creds[1].path, "db/pg/creds/legacy");
        assert_eq!(rules[0].path, "kv/data/supabase");
    }

    #[test]
    fn quoting_escapes_what_hcl_would_read_differently() {
        assert_eq!(quoted("a\"b\\c${d}%{e}"), r#""a\"b\\c$${d}%%{e}""#);
    }
}
