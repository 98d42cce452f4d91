//! The secret sentinel (issue 15): every secret the tests hand to dbstack contains it, and the
//! test command's last step (scripts/sentinel.py) fails when it appears in any log, recorded
//! output or artefact under tests/out. The one place it is set is tests/sentinel.txt.
//!
//! Use it from a test file with `#[path = "../../tests/sentinel.rs"] mod sentinel;`.
#![allow(dead_code, unreachable_pub)]

use std::io::Write;

/// The sentinel itself (plain ASCII letters and digits: valid unencoded in a URL, a header, a
/// TOML or YAML string).
pub const SENTINEL: &str = include_str!("sentinel.txt");

/// A test secret: `<tag>-<sentinel>`.
pub fn secret(tag: &str) -> String {
    format!("{tag}-{SENTINEL}")
}

/// The marker lines scripts/sentinel.py excludes exactly the lines between.
pub const ALLOW_BEGIN: &str = "dbstack-sentinel: deliberately revealed output begins";
pub const ALLOW_END: &str = "dbstack-sentinel: deliberately revealed output ends";

/// Appends what `dbstack ARGS` printed to `$DBSTACK_LOGS/outputs/<file>.log` (nothing when the
/// tests run outside the test command), for the sentinel check. The record's title names the
/// subcommand and the flags, never their values (a `--database-url` carries a password). With
/// `--show-secrets` among the arguments, the output is fenced as deliberately revealed.
pub fn record(file: &str, args: &[&str], stdout: &[u8], stderr: &[u8]) {
    let reveals = args.contains(&"--show-secrets");
    let mut what: Vec<&str> = args
        .iter()
        .take_while(|a| !a.starts_with('-'))
        .copied()
        .collect();
    what.extend(
        args.iter()
            .filter(|a| a.starts_with("--"))
            .map(|a| a.split('=').next().unwrap_or(a)),
    );
    let what = format!("dbstack {}", what.join(" "));
    let Some(logs) = std::env::var_os("DBSTACK_LOGS") else {
        return;
    };
    let dir = std::path::Path::new(&logs).join("outputs");
    if std::fs::create_dir_all(&dir).is_err() {
        return;
    }
    let mut text = Vec::new();
    text.extend_from_slice(format!("==> {what}\n").as_bytes());
    if reveals {
        text.extend_from_slice(format!("{ALLOW_BEGIN}\n").as_bytes());
    }
    for (name, bytes) in [("stdout", stdout), ("stderr", stderr)] {
        text.extend_from_slice(format!("--- {name}\n").as_bytes());
        text.extend_from_slice(bytes);
        if !bytes.ends_with(b"\n") {
            text.push(b'\n');
        }
    }
    if reveals {
        text.extend_from_slice(format!("{ALLOW_END}\n").as_bytes());
    }
    // One write of the whole record, in append mode: the tests of a binary run in parallel.
    if let Ok(mut file) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join(format!("{file}.log")))
    {
        let _ = file.write_all(&text);
    }
}
