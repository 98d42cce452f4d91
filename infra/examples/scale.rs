//! `check-infra` at scale (BENCHMARKS.md, "check-infra at scale"): the repository's trees copied
//! 1, 10 and 100 times, and Terraform files of 1,000 to 100,000 locals, each read and checked
//! a few times; prints the best time of each. Run from the repository root:
//!
//! ```sh
//! nice -n 10 cargo run --release -p dbstack-infra --example scale
//! ```

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn copy_dir(from: &Path, to: &Path) -> u64 {
    std::fs::create_dir_all(to).unwrap();
    let mut bytes = 0;
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            bytes += copy_dir(&entry.path(), &target);
        } else {
            bytes += std::fs::copy(entry.path(), &target).unwrap();
        }
    }
    bytes
}

/// The best of `runs` timings of `check_dirs` over the two folders.
fn best(k8s: &Path, tf: &Path, runs: usize) -> (Duration, usize) {
    let mut best = Duration::MAX;
    let mut objects = 0;
    for _ in 0..runs {
        let start = Instant::now();
        let report = dbstack_infra::check_dirs(k8s, tf).expect("check-infra failed");
        best = best.min(start.elapsed());
        objects = report.resources.values().sum();
    }
    (best, objects)
}

fn main() {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let tmp = tempfile::tempdir().unwrap();
    println!("| input | bytes | objects | best time |");
    println!("|---|---|---|---|");
    for copies in [1, 10, 100] {
        let root = tmp.path().join(format!("x{copies}"));
        let mut bytes = 0;
        for i in 0..copies {
            bytes += copy_dir(&repo.join("kubernetes"), &root.join(format!("k8s/c{i}")));
            bytes += copy_dir(&repo.join("terraform"), &root.join(format!("tf/c{i}")));
        }
        let (took, objects) = best(&root.join("k8s"), &root.join("tf"), 5);
        println!("| kubernetes/ + terraform/ x{copies} | {bytes} | {objects} | {took:.2?} |");
    }
    for n in [1_000, 10_000, 100_000] {
        let root = tmp.path().join(format!("locals{n}"));
        copy_dir(&repo.join("kubernetes"), &root.join("k8s"));
        copy_dir(&repo.join("terraform"), &root.join("tf"));
        // Each local refers to the one after it (the order the old passes handled worst); every
        // tenth also has an object that refers to it.
        let mut text = String::from("locals {\n");
        for i in 0..n {
            writeln!(text, "  l{i} = local.l{}", i + 1).unwrap();
            if i % 10 == 0 {
                writeln!(text, "  o{i} = {{ a = local.l{i}, b = \"{i}\" }}").unwrap();
            }
        }
        writeln!(text, "  l{n} = \"end\"\n}}").unwrap();
        std::fs::write(root.join("tf/many.tf"), &text).unwrap();
        let (took, _) = best(&root.join("k8s"), &root.join("tf"), 3);
        println!(
            "| terraform/ + {n} chained locals | {} | - | {took:.2?} |",
            text.len()
        );
    }
}
