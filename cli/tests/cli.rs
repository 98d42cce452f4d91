//! The `dbstack` binary: the shared corpus through the CLI, snapshots of every output
//! format, exit codes and error messages.

#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

#[path = "../../tests/vectors/check.rs"]
mod check;
#[path = "../../tests/sentinel.rs"]
mod sentinel;

use std::process::{Command, Output};

use serde_json::{json, Value};

fn dbstack(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dbstack"));
    cmd.args(args).env_clear().env("HOME", "/nonexistent-home");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    // For the sentinel check (scripts/sentinel.py): what the CLI printed, `--show-secrets` fenced.
    sentinel::record("cli", args, &out.stdout, &out.stderr);
    out
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
            let plan_out = dbstack(&["plan", "--json"], &env_refs);
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

/// Its secrets carry the sentinel of tests/sentinel.txt (scripts/sentinel.py).
const SAMPLE: &[(&str, &str)] = &[
    (
        "DATABASE_URL",
        concat!(
            "postgres://app:s3cret-",
            include_str!("../../tests/sentinel.txt"),
            "@db.example.com:5432/app?sslmode=require"
        ),
    ),
    (
        "DRAGONFLY_URL",
        concat!(
            "redis://:cachepw-",
            include_str!("../../tests/sentinel.txt"),
            "@cache.example.com:6379/1"
        ),
    ),
    ("RAGFLOW_URL", "http://ragflow.example.com:9380"),
    (
        "RAGFLOW_API_KEY",
        concat!("ragflow-key-", include_str!("../../tests/sentinel.txt")),
    ),
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

/// `SAMPLE` with a terminal of 100 columns.
fn sample_columns(columns: &'static str) -> Vec<(&'static str, &'static str)> {
    let mut env = SAMPLE.to_vec();
    env.push(("COLUMNS", columns));
    env
}

#[test]
fn snapshot_explain() {
    let out = dbstack(&["explain"], &sample_columns("100"));
    assert!(out.status.success());
    let text = stdout(&out);
    for line in text.lines() {
        assert!(line.chars().count() <= 100, "wider than 100: {line}");
    }
    assert!(text.contains('…'), "long values are shortened");
    insta::assert_snapshot!("explain", text);
    // Warnings go to stderr, as with every other subcommand (`explain | head` keeps them).
    assert!(!text.contains("warning:"));
    assert!(stderr(&out).contains("warning: vault is not configured"));
}

#[test]
fn snapshot_explain_wide() {
    let out = dbstack(&["explain", "--wide"], &sample_columns("100"));
    assert!(out.status.success());
    let text = stdout(&out);
    assert!(!text.contains('…'), "--wide shortens nothing");
    assert!(text.contains("http://ragflow.example.com:9380/api/v1/system/healthz"));
    insta::assert_snapshot!("explain_wide", text);
}

#[test]
fn snapshot_explain_default_stack() {
    // The labels a person acts on: built-in defaults, the fallback, no `vault:vault`.
    let out = dbstack(&["explain"], &[("COLUMNS", "160")]);
    assert!(out.status.success());
    let text = stdout(&out);
    assert!(
        !text.contains("vault:vault") && !text.contains("  default:"),
        "{text}"
    );
    insta::assert_snapshot!("explain_default_stack", text);
}

#[test]
fn explain_one_notation_for_empty_and_absent() {
    let out = dbstack(&["explain", "--wide"], SAMPLE);
    let text = stdout(&out);
    let row = |path: &str| {
        text.lines()
            .find(|l| l.split_whitespace().next() == Some(path))
            .map(str::to_owned)
            .unwrap_or_default()
    };
    // An empty string is `""`, an absent value `null`; no cell is blank.
    assert!(
        row("rocketmq.ACCESS_KEY").contains(" \"\" "),
        "{}",
        row("rocketmq.ACCESS_KEY")
    );
    assert!(
        row("vault.addr").contains(" null "),
        "{}",
        row("vault.addr")
    );
}

#[test]
fn snapshot_plan_without_vault() {
    let out = dbstack(&["plan"], SAMPLE);
    assert!(out.status.success());
    let text = stdout(&out);
    assert!(
        text.contains("VAULT_ADDR"),
        "says why nothing is read: {text}"
    );
    insta::assert_snapshot!("plan_without_vault", text);
    let json = dbstack(&["plan", "--json"], SAMPLE);
    let plan: Value = serde_json::from_str(&stdout(&json)).unwrap();
    assert_eq!(plan, json!({"settings": null, "reads": []}));
    assert!(stderr(&json).contains("VAULT_ADDR is unset"));
}

#[test]
fn snapshot_plan_with_vault() {
    let env = [("VAULT_ADDR", "http://vault.example.com:8200")];
    let out = dbstack(&["plan"], &env);
    assert!(out.status.success());
    insta::assert_snapshot!("plan_with_vault", stdout(&out));
    let json = dbstack(&["plan", "--json"], &env);
    insta::assert_snapshot!("plan_with_vault_json", stdout(&json));
}

/// Latencies vary from run to run, and with them the width of the LATENCY column:
/// `12.3 ms` becomes `N ms` and runs of spaces become two.
fn without_latencies(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        let mut fixed: Vec<String> = Vec::with_capacity(words.len());
        for (i, w) in words.iter().enumerate() {
            let next = words.get(i + 1).copied();
            let number = w.trim_start_matches('(');
            if matches!(next, Some("ms" | "ms)")) && number.parse::<f64>().is_ok() {
                fixed.push(if w.starts_with('(') { "(N" } else { "N" }.to_owned());
            } else {
                fixed.push((*w).to_owned());
            }
        }
        let indent = line.len() - line.trim_start().len();
        out.push_str(&" ".repeat(indent));
        out.push_str(&fixed.join(" "));
        out.push('\n');
    }
    out
}

/// A development machine with MariaDB but without the fallback's database, RAGflow,
/// RocketMQ or the cache: every failure says what to do, the optional ones are marked.
const STOCK: &[(&str, &str)] = &[
    (
        "DBSTACK_FALLBACK_URL",
        "mysql://root@127.0.0.1:3306/dbstack_firsthour_absent",
    ),
    ("DRAGONFLY_URL", "redis://127.0.0.1:1/0"),
    ("RAGFLOW_URL", "http://127.0.0.1:2"),
    ("ROCKETMQ_NAMESRV_ADDR", "127.0.0.1:3"),
];

#[test]
fn snapshot_verify_hints() {
    let out = dbstack(&["verify", "--timeout", "5"], STOCK);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = without_latencies(&stdout(&out));
    assert!(
        text.contains("CREATE DATABASE `dbstack_firsthour_absent`"),
        "{text}"
    );
    assert!(text.contains("fail (optional)"), "{text}");
    assert!(text.contains("optional = "), "{text}");
    insta::assert_snapshot!("verify_hints", text);

    let out = dbstack(&["verify", "--json", "--timeout", "5"], STOCK);
    let mut report: Value = serde_json::from_str(&stdout(&out)).unwrap();
    report["elapsed_ms"] = json!(0);
    for check in report["checks"].as_array_mut().unwrap() {
        check["latency_ms"] = json!(0);
    }
    let by = |label: &str| {
        report["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["service"] == label)
            .unwrap()
            .clone()
    };
    assert_eq!(by("ragflow")["required"], json!(false));
    assert!(by("ragflow")["optional_reason"].is_string());
    assert_eq!(by("dragonfly")["required"], json!(true));
    assert!(by("dragonfly")["hint"]
        .as_str()
        .unwrap()
        .contains("env DRAGONFLY_URL"));
    insta::assert_json_snapshot!("verify_hints_json", report);
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

/// `--env-file` and `X_FILE` (issue 14): values from files, their provenance, the environment
/// winning, errors naming the file and never the secret.
#[test]
fn env_files_and_secret_files() {
    let dir = tempfile::tempdir().unwrap();
    let dotenv = dir.path().join(".env");
    std::fs::write(
        &dotenv,
        "# development\nexport DATABASE_URL='postgres://app:env-file-pw@db.example:5433/app'\nRAGFLOW_API_KEY=from-file\n",
    )
    .unwrap();
    let key = dir.path().join("ragflow-key");
    std::fs::write(&key, "from-secret-file\n").unwrap();
    let dotenv_arg = dotenv.to_str().unwrap();
    let base = [("DBSTACK_KUBERNETES", "false")];
    let out = dbstack(
        &["resolve", "--json", "--offline", "--env-file", dotenv_arg],
        &base,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let prov = &doc["provenance"];
    assert_eq!(
        prov["django.DATABASES.default.HOST"]["source"],
        json!({"kind": "env-file", "name": format!("{dotenv_arg}:2")})
    );
    assert_eq!(doc["django"]["DATABASES"]["default"]["PORT"], json!(5433));
    assert!(!stdout(&out).contains("env-file-pw"));

    // The environment beats the file; an X_FILE is read less its newline.
    let key_arg = key.to_str().unwrap();
    let out = dbstack(
        &[
            "resolve",
            "--json",
            "--offline",
            "--show-secrets",
            "--env-file",
            dotenv_arg,
        ],
        &[
            ("DBSTACK_KUBERNETES", "false"),
            ("RAGFLOW_API_KEY_FILE", key_arg),
        ],
    );
    // RAGFLOW_API_KEY is set by the file and RAGFLOW_API_KEY_FILE by the environment: both set.
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    assert!(stderr(&out).contains("RAGFLOW_API_KEY") && stderr(&out).contains(".env:3"));
    let out = dbstack(
        &["resolve", "--json", "--offline", "--show-secrets"],
        &[
            ("DBSTACK_KUBERNETES", "false"),
            ("RAGFLOW_API_KEY_FILE", key_arg),
        ],
    );
    let doc: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(doc["ragflow"]["API_KEY"], json!("from-secret-file"));
    assert_eq!(
        doc["provenance"]["ragflow.API_KEY"]["source"],
        json!({"kind": "file", "name": key_arg})
    );
    let explain = dbstack(
        &["explain", "--offline", "--wide"],
        &[
            ("DBSTACK_KUBERNETES", "false"),
            ("RAGFLOW_API_KEY_FILE", key_arg),
        ],
    );
    assert!(
        stdout(&explain).contains(&format!("file {key_arg}")),
        "{}",
        stdout(&explain)
    );

    // Errors: the file and line, the variable and path; never the value; exit 2.
    let bad = dir.path().join("bad.env");
    std::fs::write(&bad, "A=1\nSUPABASE_DB_PASSWORD=\"s3cret\n").unwrap();
    let out = dbstack(&["resolve", "--env-file", bad.to_str().unwrap()], &base);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("bad.env:2") && !stderr(&out).contains("s3cret"),
        "{}",
        stderr(&out)
    );
    let out = dbstack(&["verify", "--json"], &[("DATABASE_URL_FILE", "/dev/zero")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("DATABASE_URL_FILE `/dev/zero`: not a regular file"),
        "{}",
        stderr(&out)
    );
    let out = dbstack(&["plan", "--env-file", bad.to_str().unwrap()], &base);
    assert_eq!(out.status.code(), Some(2));
    // A missing env file is a warning.
    let out = dbstack(
        &[
            "resolve",
            "--json",
            "--offline",
            "--env-file",
            "/nonexistent/.env",
        ],
        &base,
    );
    assert_eq!(out.status.code(), Some(0));
    assert!(stderr(&out).contains("env file `/nonexistent/.env` does not exist"));
}
