//! `dbstack resolve`: print the resolved configuration.

use dbstack_core::render;

use super::common::{print_warnings, ResolveArgs};
use crate::output;

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Format {
    /// The `dbstack.resolution/v1` document.
    Json,
    /// A settings.py snippet.
    Django,
    /// `.env` lines.
    Env,
    /// A summary for people.
    Table,
}

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Shorthand for `--format json`.
    #[arg(long, conflicts_with = "format")]
    json: bool,
    /// Print secrets instead of `********`.
    #[arg(long)]
    show_secrets: bool,
    #[command(flatten)]
    resolve: ResolveArgs,
}

pub(crate) fn run(args: &Args) -> i32 {
    let resolved = match args.resolve.run() {
        Ok(r) => r,
        Err(code) => return code,
    };
    let format = if args.json { Format::Json } else { args.format };
    let res = &resolved.resolution;
    let reveal = args.show_secrets;
    match format {
        Format::Json => {
            print_warnings(&resolved);
            output::print(&render::json(res, reveal));
        }
        Format::Django => output::print(&render::django(res, reveal)),
        Format::Env => {
            print_warnings(&resolved);
            output::print(&render::env(res, reveal));
        }
        Format::Table => {
            output::print(&render::table(res));
            let leases = leases_section(&res.to_json(false));
            if !leases.is_empty() {
                output::print(&leases);
            }
        }
    }
    0
}

/// The dynamic leases of the resolution: lease id, path, TTL, and the credential keeper's
/// next action for it in a long-running process (this command hands the credentials on and
/// neither renews nor revokes them).
fn leases_section(doc: &serde_json::Value) -> String {
    use dbstack_runtime::vault::keeper::policy::Clock;
    let Some(leases) = doc
        .pointer("/vault/leases")
        .and_then(serde_json::Value::as_array)
        .filter(|l| !l.is_empty())
    else {
        return String::new();
    };
    let mut out = String::from(
        "\nvault leases (kept by a long-running process; not revoked by this command):\n",
    );
    for lease in leases {
        let field = |key: &str| {
            lease
                .get(key)
                .and_then(serde_json::Value::as_str)
                .unwrap_or_default()
        };
        let ttl = lease
            .get("lease_duration")
            .and_then(serde_json::Value::as_u64)
            .unwrap_or(0);
        let renewable = lease
            .get("renewable")
            .and_then(serde_json::Value::as_bool)
            .unwrap_or(false);
        let next = match Clock::issued(0, ttl.saturating_mul(1000), renewable).due(0, true) {
            Some((at, step)) => format!(
                "{} in {} s",
                if step == dbstack_runtime::vault::keeper::policy::Step::Renew {
                    "renew"
                } else {
                    "rotate"
                },
                at / 1000
            ),
            None => "-".to_owned(),
        };
        out.push_str(&format!(
            "  {}  {}  {}  ttl {} s  renewals 0  next: {}\n",
            field("alias"),
            field("path"),
            field("lease_id"),
            ttl,
            next
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leases_section_shows_each_lease_and_its_next_action() {
        let doc = serde_json::json!({"vault": {"leases": [
            {"alias": "default", "path": "database/creds/app", "lease_id": "database/creds/app/abc",
             "lease_duration": 60, "renewable": true},
            {"alias": "agent_db", "path": "database/creds/ro", "lease_id": "database/creds/ro/def",
             "lease_duration": 30, "renewable": false},
        ]}});
        let text = leases_section(&doc);
        assert!(text.contains("  default  database/creds/app  database/creds/app/abc  ttl 60 s  renewals 0  next: renew in 40 s\n"), "{text}");
        assert!(text.contains("agent_db  database/creds/ro  database/creds/ro/def  ttl 30 s  renewals 0  next: rotate in 20 s"), "{text}");
        assert_eq!(
            leases_section(&serde_json::json!({"vault": {"leases": []}})),
            ""
        );
    }
}
