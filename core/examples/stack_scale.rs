//! `Stack::parse` at 1x, 10x and 100x the largest realistic stack file (50 aliases, each with
//! a route; BENCHMARKS.md), in the three ways TOML lets an alias be written, plus the hostile
//! shapes of issue 15. Run: `cargo run --release -p dbstack-core --example stack_scale`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use dbstack_core::Stack;
use dbstack_core::StackSource;

fn stack(n: usize, form: &str) -> String {
    let mut text = String::new();
    for i in 0..n {
        let name = if i == 0 {
            "default".to_owned()
        } else {
            format!("a{i}")
        };
        match form {
            "headers" => {
                let _ = write!(
                    text,
                    "[aliases.{name}]\nservice = \"supabase\"\ndatabase = \"db{i}\"\n\n"
                );
            }
            "dotted" => {
                let _ = write!(
                    text,
                    "aliases.{name}.service = \"supabase\"\naliases.{name}.database = \"db{i}\"\n"
                );
            }
            _ => {
                if i == 0 {
                    text.push_str("[aliases]\n");
                }
                let _ = writeln!(
                    text,
                    "{name} = {{ service = \"supabase\", database = \"db{i}\" }}"
                );
            }
        }
    }
    text.push_str("[routes]\n");
    for i in 1..n {
        let _ = writeln!(text, "app_{i} = \"a{i}\"");
    }
    text
}

/// `basic-toml` alone, into the document `Stack::parse` checks.
fn time_toml(text: &str) -> Duration {
    let mut best = Duration::MAX;
    for _ in 0..5 {
        let start = Instant::now();
        let parsed: Result<serde_json::Value, _> = basic_toml::from_str(text);
        assert!(parsed.is_ok());
        best = best.min(start.elapsed());
    }
    best
}

fn time(text: &str) -> (Duration, bool) {
    let source = StackSource {
        name: "s.toml".into(),
        text: text.to_owned(),
    };
    let mut best = Duration::MAX;
    let mut ok = false;
    for _ in 0..5 {
        let start = Instant::now();
        ok = Stack::parse(&source).is_ok();
        best = best.min(start.elapsed());
    }
    (best, ok)
}

fn main() {
    println!("| form | aliases | bytes | `Stack::parse` (best of 5) | per alias | of which `basic-toml` |");
    println!("|---|---:|---:|---:|---:|---:|");
    for form in ["headers", "dotted", "inline"] {
        for n in [50, 500, 5_000] {
            let text = stack(n, form);
            let (took, ok) = time(&text);
            assert!(ok, "{form} {n}");
            println!(
                "| {form} | {n} | {} | {:.2} ms | {:.2} µs | {:.2} ms |",
                text.len(),
                took.as_secs_f64() * 1e3,
                took.as_secs_f64() * 1e6 / n as f64,
                time_toml(&text).as_secs_f64() * 1e3
            );
        }
    }
    let hostile = [
        ("60 KB of `[`", format!("x = {}", "[".repeat(60_000))),
        (
            "60 KB of nested inline tables",
            format!("x = {}", "{a = ".repeat(12_000)),
        ),
        (
            "header of 20,000 dotted keys",
            format!("[{}]\n", vec!["a"; 20_000].join(".")),
        ),
        (
            "a 1 MiB string value",
            format!("[vault]\nkv_mount = \"{}\"\n", "x".repeat(1 << 20)),
        ),
    ];
    for (what, text) in hostile {
        let (took, ok) = time(&text);
        println!(
            "| {what} | — | {} | {:.2} ms ({}) | — |",
            text.len(),
            took.as_secs_f64() * 1e3,
            if ok { "accepted" } else { "refused" }
        );
    }
}
