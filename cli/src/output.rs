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

/// Prints `note: <message>` on stderr.
pub(crate) fn note_line(message: &str) {
    eprintln!("note: {message}");
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

/// The width tables are fitted to: `COLUMNS` when set (a number from 40 to 1000), else the
/// terminal's width when stdout is one, else 120.
pub(crate) fn terminal_width() -> usize {
    const DEFAULT: usize = 120;
    if let Some(n) = std::env::var("COLUMNS")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|n| (40..=1000).contains(n))
    {
        return n;
    }
    terminal_size::terminal_size_of(std::io::stdout())
        .map_or(DEFAULT, |(terminal_size::Width(w), _)| {
            usize::from(w).max(40)
        })
}

/// Pretty JSON on stdout.
pub(crate) fn print_json(value: &serde_json::Value) {
    print(&serde_json::to_string_pretty(value).unwrap_or_default());
}
