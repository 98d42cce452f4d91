//! Printing helpers shared by the subcommands. Errors go to stderr, results to stdout.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::Write;

/// Prints `error: <message>` on stderr.
pub(crate) fn error_line(message: &str) {
    eprintln!("error: {message}");
}

/// Prints `warning: <message>` on stderr.
pub(crate) fn warning_line(message: &str) {
    eprintln!("warning: {message}");
}

/// Writes text to stdout, ignoring a closed pipe (`dbstack resolve | head`).
pub(crate) fn print(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    if !text.ends_with('\n') {
        let _ = out.write_all(b"\n");
    }
    let _ = out.flush();
}

/// Pretty JSON on stdout.
pub(crate) fn print_json(value: &serde_json::Value) {
    print(&serde_json::to_string_pretty(value).unwrap_or_default());
}
