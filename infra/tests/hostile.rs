//! Hostile input to `check-infra` (issue 15): each case ends in bounded time and memory with an
//! error that names the file (and line where known), or, for links that loop, a normal report.

#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use common::Copy;
use dbstack_infra::limits::{MAX_DEPTH, MAX_FILE_BYTES, MAX_VALUES};
use dbstack_infra::{check_dirs, InfraError};

/// `locals { ... }` of `n` lines made by `line(i)` for i in 1..=n, after `first`.
fn locals(first: &str, n: usize, line: impl Fn(usize) -> String) -> String {
    let mut text = format!("locals {{\n  {first}\n");
    for i in 1..=n {
        writeln!(text, "  {}", line(i)).unwrap();
    }
    text.push_str("}\n");
    text
}

#[test]
fn a_yaml_sequence_50000_deep_is_a_depth_error_not_a_stack_overflow() {
    let c = Copy::new();
    let rel = "kubernetes/deep.yaml";
    std::fs::write(c.path(rel), "- ".repeat(50_000) + "x\n").unwrap();
    let err = c.check_err();
    let InfraError::TooDeep { file, line, limit } = &err else {
        panic!("not a depth error: {err}")
    };
    assert_eq!(
        (file.as_str(), *line, *limit),
        (c.file(rel).as_str(), 1, MAX_DEPTH)
    );
    assert!(
        err.to_string().contains("nesting deeper than 64 levels"),
        "{err}"
    );
}

#[test]
fn deep_yaml_mappings_and_flow_collections_are_depth_errors() {
    let c = Copy::new();
    let rel = "kubernetes/deep.yaml";
    let mut text = String::new();
    for i in 0..1_000 {
        writeln!(text, "{}k{i}:", " ".repeat(i)).unwrap();
    }
    std::fs::write(c.path(rel), text).unwrap();
    let err = c.check_err();
    assert!(
        matches!(&err, InfraError::TooDeep { line: 65, .. }),
        "{err}"
    );
    assert_eq!(err.file(), c.file(rel));

    std::fs::write(c.path(rel), "a: ".to_string() + &"[".repeat(100_000)).unwrap();
    let err = c.check_err();
    assert!(matches!(&err, InfraError::TooDeep { .. }), "{err}");
    assert_eq!(err.file(), c.file(rel));
}

#[test]
fn yaml_aliases_are_not_expanded() {
    let c = Copy::new();
    let rel = "kubernetes/laughs.yaml";
    let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..40 {
        let prev = format!("*a{}", i - 1);
        writeln!(text, "a{i}: &a{i} [{}]", vec![prev; 10].join(", ")).unwrap();
    }
    std::fs::write(c.path(rel), text).unwrap();
    let start = Instant::now();
    let err = c.check_err();
    // Parsed in no time; the document is not a Kubernetes object.
    assert!(matches!(&err, InfraError::Invalid { .. }), "{err}");
    assert!(start.elapsed() < Duration::from_secs(5));
}

#[test]
fn deep_hcl_is_a_depth_error() {
    let c = Copy::new();
    let rel = "terraform/deep.tf";
    let deep = "[".repeat(50_000) + &"]".repeat(50_000);
    std::fs::write(c.path(rel), format!("locals {{\n  x = {deep}\n}}\n")).unwrap();
    let err = c.check_err();
    assert!(
        matches!(
            &err,
            InfraError::TooDeep {
                line: 2,
                limit: 64,
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(err.file(), c.file(rel));

    let chain = vec!["1"; 10_000].join(" + ");
    std::fs::write(c.path(rel), format!("locals {{\n  x = {chain}\n}}\n")).unwrap();
    let err = c.check_err();
    assert!(matches!(&err, InfraError::TooDeep { line: 2, .. }), "{err}");
}

#[test]
fn a_locals_list_that_doubles_itself_40_times_is_an_expansion_error() {
    let c = Copy::new();
    let rel = "terraform/laughs.tf";
    let text = locals("l0 = [\"ha\", \"ha\"]", 40, |i| {
        format!("l{i} = [local.l{p}, local.l{p}]", p = i - 1)
    });
    std::fs::write(c.path(rel), text).unwrap();
    let start = Instant::now();
    let err = c.check_err();
    let InfraError::Expansion { file, line, limit } = &err else {
        panic!("not an expansion error: {err}")
    };
    assert_eq!((file.as_str(), *limit), (c.file(rel).as_str(), MAX_VALUES));
    // 2^(i+1) - 1 values for l<i>, built twice per reference: the bound falls near l19.
    assert!((15..=25).contains(line), "line {line}");
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn a_chain_of_nested_locals_is_a_depth_error() {
    let c = Copy::new();
    let rel = "terraform/chain.tf";
    let text = locals("l0 = \"x\"", 10_000, |i| {
        format!("l{i} = [local.l{}]", i - 1)
    });
    std::fs::write(c.path(rel), text).unwrap();
    let err = c.check_err();
    // l65 is the first list nested 65 deep; it is written on line 67.
    assert!(
        matches!(
            &err,
            InfraError::TooDeep {
                line: 67,
                limit: 64,
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn ten_thousand_locals_take_well_under_a_second_each_way() {
    let c = Copy::new();
    let rel = "terraform/many.tf";
    // In order, in reverse order (each refers to the next one down the file), and flat.
    for text in [
        locals("l0 = \"x\"", 10_000, |i| format!("l{i} = local.l{}", i - 1)),
        locals("l10001 = \"x\"", 10_000, |i| {
            format!("l{i} = local.l{}", i + 1)
        }),
        locals("l0 = \"x\"", 10_000, |i| {
            format!("l{i} = {{ a = \"{i}\" }}")
        }),
    ] {
        std::fs::write(c.path(rel), text).unwrap();
        let start = Instant::now();
        let report = c.check();
        let took = start.elapsed();
        assert!(report.is_clean(), "{:?}", report.findings);
        // Tens of seconds before; about 0.1 s in a debug build on a loaded machine now.
        assert!(took < Duration::from_secs(5), "{took:?}");
    }
}

#[test]
fn a_cycle_of_locals_is_invalid_input() {
    let c = Copy::new();
    let rel = "terraform/cycle.tf";
    std::fs::write(
        c.path(rel),
        "locals {\n  ok = \"x\"\n  a = local.b\n  b = [local.a]\n}\n",
    )
    .unwrap();
    let err = c.check_err();
    assert!(matches!(&err, InfraError::Invalid { line: 3, .. }), "{err}");
    assert!(err.to_string().contains("local.a"), "{err}");
    assert_eq!(err.file(), c.file(rel));
}

#[cfg(unix)]
#[test]
fn folder_links_that_loop_are_walked_once() {
    let c = Copy::new();
    let clean = c.check();
    std::os::unix::fs::symlink(".", c.path("kubernetes/x")).unwrap();
    std::os::unix::fs::symlink(".", c.path("kubernetes/y")).unwrap();
    std::os::unix::fs::symlink("..", c.path("terraform/modules/up")).unwrap();
    let start = Instant::now();
    let report = c.check();
    assert!(start.elapsed() < Duration::from_secs(10));
    assert_eq!(report, clean);
}

#[cfg(unix)]
#[test]
fn a_manifest_linked_to_a_device_is_not_read() {
    let c = Copy::new();
    let rel = "kubernetes/zero.yaml";
    std::os::unix::fs::symlink("/dev/zero", c.path(rel)).unwrap();
    let err = c.check_err();
    assert!(
        matches!(
            &err,
            InfraError::NotAFile {
                kind: "a device",
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(err.file(), c.file(rel));
    assert!(err.to_string().contains("is not a regular file"), "{err}");
}

#[cfg(unix)]
#[test]
fn a_fifo_is_not_opened() {
    let c = Copy::new();
    let rel = "terraform/pipe.tf";
    let status = std::process::Command::new("mkfifo")
        .arg(c.path(rel))
        .status()
        .unwrap();
    assert!(status.success());
    // Opening a FIFO without a writer would block this test forever.
    let err = c.check_err();
    assert!(
        matches!(&err, InfraError::NotAFile { kind: "a FIFO", .. }),
        "{err}"
    );
    assert_eq!(err.file(), c.file(rel));
}

#[test]
fn a_file_over_the_size_limit_is_refused() {
    let c = Copy::new();
    let rel = "kubernetes/huge.yaml";
    let big = "# padding\n".repeat(MAX_FILE_BYTES as usize / 10 + 1);
    std::fs::write(c.path(rel), big).unwrap();
    let err = c.check_err();
    assert!(matches!(&err, InfraError::TooLarge { .. }), "{err}");
    assert_eq!(err.file(), c.file(rel));
    assert!(err.to_string().contains("4194304 bytes"), "{err}");
}

#[test]
fn a_file_that_is_not_utf8_names_the_line() {
    let c = Copy::new();
    let rel = "terraform/latin1.tf";
    std::fs::write(c.path(rel), b"# ok\n# caf\xe9\n").unwrap();
    let err = c.check_err();
    assert!(matches!(&err, InfraError::Invalid { line: 2, .. }), "{err}");
    assert_eq!(err.file(), c.file(rel));
}

#[test]
fn the_repository_is_still_read_the_same_way() {
    // The bounds leave room: today's trees are ~140 KB and nest at most ~12 levels.
    let root = common::repo();
    let report = check_dirs(&root.join("kubernetes"), &root.join("terraform")).unwrap();
    assert!(report.is_clean(), "{:?}", report.findings);
}

/// Found by fuzzing: 463 bytes on which hcl-edit 0.10 backtracks exponentially (4.5 s in a
/// release build, far longer in a debug one; each further line multiplies it by about ten).
#[test]
fn a_file_the_hcl_parser_backtracks_on_is_abandoned_at_the_deadline() {
    let c = Copy::new();
    let rel = "terraform/slow.tf";
    std::fs::copy(
        common::repo().join("infra/tests/data/hcl-backtracking.tf"),
        c.path(rel),
    )
    .unwrap();
    let start = Instant::now();
    let err = c.check_err();
    let took = start.elapsed();
    assert!(
        matches!(&err, InfraError::TooSlow { seconds: 5, .. }),
        "{err}"
    );
    assert_eq!(err.file(), c.file(rel));
    assert!(took < Duration::from_secs(30), "{took:?}");
}
