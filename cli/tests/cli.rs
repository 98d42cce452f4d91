//! The `dbstack` binary: the shared corpus through the CLI, snapshots of every output
//! format, exit codes and error messages.

#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

#[path = "../../tests/vectors/check.rs"]
mod check;

use std::process::{Command, Output};

use serde_json::{json, Value};

fn dbstack(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dbstack"));
    cmd.args(args).env_clear().env("HOME", "/nonexistent-home");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

/// Runs every corpus case the CLI can reproduce: no Vault answers, no stack file, no
/// Kubernetes files (those need a pod), Vault not contacted (`--offline`).
#[test]
fn corpus_through_the_cli() {
    let mut ran = 0;
    let mut report = Vec::new();
    for (name, case) in check::corpus() {
        let call = &case["call"];
        if call.get("vault").is_some()
            || call.get("stack").is_some()
            || call.get("kubernetes").is_some()
        {
            continue;
        }
        let env: Vec<(String, String)> = call["env"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
            .collect();
        let env_refs: Vec<(&str, &str)> =
            env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let mut args: Vec<String> = vec!["resolve".into(), "--json".into(), "--offline".into()];
        if call["reveal"] == Value::Bool(true) {
            args.push("--show-secrets".into());
        }
        if let Some(p) = call["profile"].as_str() {
            args.push(format!("--profile={p}"));
        }
        for (k, v) in call["overrides"].as_object().into_iter().flatten() {
            args.push(format!("--set={k}={}", v.as_str().unwrap()));
        }
        let arg_refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = dbstack(&arg_refs, &env_refs);
        ran += 1;
        let fails = if let Some(err) = case["expect"].get("error") {
            let mut fails = Vec::new();
            let code = out.status.code().unwrap_or(-1);
            if Some(i64::from(code)) != err["exit_code"].as_i64() {
                fails.push(format!("exit code {code}, want {}", err["exit_code"]));
            }
            let text = stderr(&out);
            let source = err["source"].as_str().unwrap();
            if !text.contains(&format!("(source: {source})")) {
                fails.push(format!("stderr does not name the source {source}: {text}"));
            }
            for s in case["expect"]["error_excludes"]
                .as_array()
                .into_iter()
                .flatten()
            {
                if text.contains(s.as_str().unwrap()) {
                    fails.push(format!("stderr leaks {s}"));
                }
            }
            fails
        } else if !out.status.success() {
            vec![format!("failed: {}", stderr(&out))]
        } else {
            let doc: Value = serde_json::from_str(&stdout(&out)).unwrap();
            let answer = json!({"ok": true, "resolution": doc});
            let plan_out = dbstack(&["plan"], &env_refs);
            let plan = json!({"ok": plan_out.status.success(), "plan": serde_json::from_str::<Value>(&stdout(&plan_out)).unwrap_or(Value::Null)});
            check::check(&case, &answer, Some(&plan))
        };
        if !fails.is_empty() {
            report.push(format!("{name}\n  {}", fails.join("\n  ")));
        }
    }
    assert!(ran >= 60, "only {ran} corpus cases ran through the CLI");
    assert!(
        report.is_empty(),
        "{} failing:\n{}",
        report.len(),
        report.join("\n")
    );
}

const SAMPLE: &[(&str, &str)] = &[
    (
        "DATABASE_URL",
        "postgres://app:s3cret@db.example.com:5432/app?sslmode=require",
    ),
    ("DRAGONFLY_URL", "redis://:cachepw@cache.example.com:6379/1"),
    ("RAGFLOW_URL", "http://ragflow.example.com:9380"),
    ("RAGFLOW_API_KEY", "ragflow-key"),
    ("ROCKETMQ_NAMESRV_ADDR", "mq.example.com:9876"),
];

#[test]
fn snapshot_json() {
    let out = dbstack(&["resolve", "--json"], SAMPLE);
    assert!(out.status.success());
    insta::assert_snapshot!("resolve_json", stdout(&out));
}

#[test]
fn snapshot_django() {
    let out = dbstack(&["resolve", "--format", "django"], SAMPLE);
    assert!(out.status.success());
    insta::assert_snapshot!("resolve_django", stdout(&out));
}

#[test]
fn snapshot_env() {
    let out = dbstack(&["resolve", "--format", "env"], SAMPLE);
    assert!(out.status.success());
    insta::assert_snapshot!("resolve_env", stdout(&out));
}

#[test]
fn snapshot_table() {
    let out = dbstack(&["resolve", "--format", "table"], SAMPLE);
    assert!(out.status.success());
    insta::assert_snapshot!("resolve_table", stdout(&out));
}

#[test]
fn snapshot_explain() {
    let out = dbstack(&["explain"], SAMPLE);
    assert!(out.status.success());
    insta::assert_snapshot!("explain", stdout(&out));
}

#[test]
fn snapshot_default_stack() {
    let out = dbstack(&["resolve", "--json"], &[]);
    assert!(out.status.success());
    insta::assert_snapshot!("resolve_default_stack", stdout(&out));
    assert!(
        stderr(&out).contains("DEVELOPMENT FALLBACK"),
        "the fallback must be loud"
    );
}

#[test]
fn no_secret_in_any_format_unless_asked() {
    for args in [
        &["resolve", "--json"][..],
        &["resolve", "--format", "django"],
        &["resolve", "--format", "env"],
        &["resolve", "--format", "table"],
        &["explain"],
        &["explain", "--json"],
    ] {
        let out = dbstack(args, SAMPLE);
        let all = format!("{}{}", stdout(&out), stderr(&out));
        for secret in ["s3cret", "cachepw", "ragflow-key"] {
            assert!(!all.contains(secret), "{args:?} leaks {secret}");
        }
    }
    let out = dbstack(&["resolve", "--json", "--show-secrets"], SAMPLE);
    assert!(stdout(&out).contains("s3cret"), "--show-secrets reveals");
}

#[test]
fn env_output_round_trips() {
    let out = dbstack(&["resolve", "--format", "env", "--show-secrets"], SAMPLE);
    let lines: Vec<(String, String)> = stdout(&out)
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.trim_matches('\'').to_owned()))
        .collect();
    let refs: Vec<(&str, &str)> = lines
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let again = dbstack(&["resolve", "--json", "--show-secrets"], &refs);
    let first: Value = serde_json::from_str(&stdout(&dbstack(
        &["resolve", "--json", "--show-secrets"],
        SAMPLE,
    )))
    .unwrap();
    let second: Value = serde_json::from_str(&stdout(&again)).unwrap();
    assert_eq!(first["django"], second["django"]);
    assert_eq!(first["ragflow"], second["ragflow"]);
    assert_eq!(first["rocketmq"], second["rocketmq"]);
}

#[test]
fn schema_is_json_schema() {
    let out = dbstack(&["schema"], &[]);
    let schema: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    let doc: Value =
        serde_json::from_str(&stdout(&dbstack(&["resolve", "--json"], SAMPLE))).unwrap();
    for key in schema["required"].as_array().unwrap() {
        assert!(
            doc.get(key.as_str().unwrap()).is_some(),
            "document lacks {key}"
        );
    }
}

#[test]
fn bad_input_exit_codes_and_sources() {
    let out = dbstack(&["resolve"], &[("SUPABASE_DB_PORT", "abc")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("SUPABASE_DB_PORT"));
    assert!(stdout(&out).is_empty());

    let out = dbstack(&["resolve", "--stack", "/nonexistent/stack.toml"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("/nonexistent/stack.toml"));

    let dir = std::env::temp_dir().join(format!("dbstack-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("stack.toml");
    std::fs::write(
        &file,
        "[aliases.default]\nservice = \"supabase\"\n\n[routes]\napp = \"missing\"\n",
    )
    .unwrap();
    let out = dbstack(&["resolve"], &[("DBSTACK_CONFIG", file.to_str().unwrap())]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains(&format!("{}:5:7", file.display())),
        "{}",
        stderr(&out)
    );

    let out = dbstack(&["resolve", "--set", "nonsense"], &[]);
    assert_eq!(out.status.code(), Some(2));
}
