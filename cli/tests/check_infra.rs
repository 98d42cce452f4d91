//! The `dbstack check-infra` binary: exit codes, text and JSON output.

#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

#[path = "../../tests/sentinel.rs"]
mod sentinel;

// The checker's own test helpers: the repository's root and a recursive copy.
#[path = "../../infra/tests/common/mod.rs"]
mod infra_common;
use infra_common::{copy_dir, repo};

fn dbstack(args: &[&str], cwd: &Path) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_dbstack"))
        .args(args)
        .current_dir(cwd)
        .output()
        .unwrap();
    // For the sentinel check (scripts/sentinel.py): what check-infra printed.
    sentinel::record("check-infra", args, &out.stdout, &out.stderr);
    out
}

/// A fresh copy of both trees under the target's temp folder.
fn copy(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("check-infra-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    copy_dir(&repo().join("kubernetes"), &dir.join("kubernetes"));
    copy_dir(&repo().join("terraform"), &dir.join("terraform"));
    dir
}

fn edit(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "`{from}` not in {}", path.display());
    std::fs::write(path, text.replacen(from, to, 1)).unwrap();
}

#[test]
fn repository_is_consistent_with_default_folders() {
    let out = dbstack(&["check-infra"], &repo());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("consistent"), "{stdout}");
}

#[test]
fn json_report_of_the_repository() {
    let out = dbstack(&["check-infra", "--json"], &repo());
    assert_eq!(out.status.code(), Some(0));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["schema"], "dbstack.check-infra/v1");
    assert_eq!(doc["ok"], true);
    assert_eq!(doc["findings"].as_array().unwrap().len(), 0);
    assert!(doc["resources"]["terraform"].as_u64().unwrap() > 20);
}

#[test]
fn drift_exits_1_and_names_file_and_line() {
    let dir = copy("drift");
    edit(
        &dir.join("terraform/modules/supabase/main.tf"),
        "port        = 5432",
        "port        = 6543",
    );
    let out = dbstack(&["check-infra"], &dir);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("terraform/modules/supabase/main.tf:")
            && stdout.contains("port_mismatch")
            && stdout.contains("expected `5432`, found `6543`"),
        "{stdout}"
    );

    let out = dbstack(&["check-infra", "--json"], &dir);
    assert_eq!(out.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["ok"], false);
    let kinds: Vec<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["kind"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"port_mismatch") && kinds.contains(&"port_drift"),
        "{kinds:?}"
    );
}

/// A secret written into the ConfigMap (YAML and Terraform) is a finding that names the key and
/// the line, never the secret (issue 15: its value carries the sentinel, the output is recorded).
#[test]
fn a_secret_in_the_config_map_is_reported_without_its_value() {
    let dir = copy("secret");
    let password = sentinel::secret("configmap");
    edit(
        &dir.join("kubernetes/database-config.yaml"),
        "DRAGONFLY_URL: \"redis://dragonfly:6379/0\"",
        &format!("DRAGONFLY_URL: \"redis://default:{password}@dragonfly:6379/0\"\n  SUPABASE_DB_PASSWORD: \"{password}\""),
    );
    edit(
        &dir.join("terraform/config.tf"),
        "\"redis://dragonfly:6379/0\"",
        &format!("\"redis://default:{password}@dragonfly:6379/0\""),
    );
    for args in [&["check-infra"][..], &["check-infra", "--json"]] {
        let out = dbstack(args, &dir);
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert!(
            !text.contains(sentinel::SENTINEL),
            "{args:?} prints the secret"
        );
        assert!(
            text.contains("kubernetes/database-config.yaml")
                && text.contains("SUPABASE_DB_PASSWORD")
                && text.contains("secret_in_config_map"),
            "{args:?}: {}",
            text.replace(sentinel::SENTINEL, "<sentinel>")
        );
    }
}

#[test]
fn explicit_folders_are_used() {
    let dir = copy("folders");
    std::fs::rename(dir.join("kubernetes"), dir.join("k8s")).unwrap();
    std::fs::rename(dir.join("terraform"), dir.join("tf")).unwrap();
    let out = dbstack(
        &["check-infra", "--kubernetes", "k8s", "--terraform", "tf"],
        &dir,
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    // The default folders do not exist there: unreadable input.
    let out = dbstack(&["check-infra"], &dir);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("kubernetes"));
}

#[test]
fn unparseable_input_exits_2_naming_the_file() {
    let dir = copy("broken");
    std::fs::write(
        dir.join("terraform/modules/ragflow/variables.tf"),
        "variable \"namespace\" {\n  type = string\n  default = \"x\n}\n",
    )
    .unwrap();
    let out = dbstack(&["check-infra"], &dir);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("terraform/modules/ragflow/variables.tf:3:"),
        "{stderr}"
    );

    let out = dbstack(&["check-infra", "--json"], &dir);
    assert_eq!(out.status.code(), Some(2));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["ok"], false);
    assert_eq!(
        doc["error"]["file"],
        "terraform/modules/ragflow/variables.tf"
    );
}

#[test]
fn outside_the_repository_root_suggests_the_flags() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("check-infra-outside");
    std::fs::create_dir_all(&dir).unwrap();
    let out = dbstack(&["check-infra"], &dir);
    assert_eq!(out.status.code(), Some(2));
    let text = String::from_utf8(out.stderr)
        .unwrap()
        .replace(&dir.display().to_string(), "<cwd>");
    assert!(text.contains("--kubernetes DIR"), "{text}");
    assert!(text.contains("--terraform DIR"), "{text}");
    insta::assert_snapshot!("check_infra_outside_root", text);
}

/// Hostile input (issue 15) through the binary: a clear error on stderr naming the file and
/// line, exit 2, in bounded time (the main thread's 8 MiB stack is not the protection).
#[test]
fn hostile_input_exits_2_naming_the_file() {
    let dir = copy("hostile");
    std::fs::write(
        dir.join("kubernetes/deep.yaml"),
        "- ".repeat(50_000) + "x\n",
    )
    .unwrap();
    let out = dbstack(&["check-infra"], &dir);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("kubernetes/deep.yaml:1: nesting deeper than 64 levels"),
        "{stderr}"
    );
    std::fs::remove_file(dir.join("kubernetes/deep.yaml")).unwrap();

    let mut laughs = String::from("locals {\n  l0 = [\"ha\", \"ha\"]\n");
    for i in 1..=40 {
        laughs.push_str(&format!("  l{i} = [local.l{p}, local.l{p}]\n", p = i - 1));
    }
    std::fs::write(dir.join("terraform/laughs.tf"), laughs + "}\n").unwrap();
    let out = dbstack(&["check-infra", "--json"], &dir);
    assert_eq!(out.status.code(), Some(2));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["error"]["file"], "terraform/laughs.tf");
    let message = doc["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("builds more than 1000000 values"),
        "{message}"
    );
}
