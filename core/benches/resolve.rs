//! `resolve` on the built-in stack and on a generated 50-alias stack.
//! Results go into BENCHMARKS.md (`cargo bench -p dbstack-core --bench resolve`).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use dbstack_core::{Inputs, StackSource, VaultAnswers};

fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn fifty_alias_stack() -> StackSource {
    let mut text =
        String::from("[aliases.default]\nservice = \"supabase\"\ndatabase = \"app\"\n\n");
    for i in 1..50 {
        let _ = write!(
            text,
            "[aliases.shard_{i:02}]\nservice = \"supabase\"\ndatabase = \"shard_{i:02}\"\n\n"
        );
    }
    text.push_str("[routes]\n");
    for i in 1..50 {
        let _ = writeln!(text, "app_{i:02} = \"shard_{i:02}\"");
    }
    StackSource {
        name: "fifty.toml".into(),
        text,
    }
}

fn bench(c: &mut Criterion) {
    let answers = VaultAnswers::default();
    let empty = Inputs::default();
    c.bench_function("resolve/default-stack/no-variables", |b| {
        b.iter(|| dbstack_core::resolve(black_box(&empty), &answers));
    });
    let configured = Inputs {
        env: env(&[
            (
                "DATABASE_URL",
                "postgres://app:s3cret@db.example.com:5432/app?sslmode=require",
            ),
            ("DRAGONFLY_URL", "redis://:pw@cache.example.com:6379/1"),
            ("RAGFLOW_URL", "http://ragflow:9380"),
            ("RAGFLOW_API_KEY", "k"),
            ("ROCKETMQ_NAMESRV_ADDR", "mq:9876"),
        ]),
        ..Inputs::default()
    };
    c.bench_function("resolve/default-stack/configured", |b| {
        b.iter(|| dbstack_core::resolve(black_box(&configured), &answers));
    });
    c.bench_function("resolve+json/default-stack/configured", |b| {
        b.iter(|| {
            dbstack_core::resolve(black_box(&configured), &answers)
                .map(|r| r.to_json(false).to_string())
        });
    });
    let fifty = Inputs {
        env: env(&[("SUPABASE_DB_HOST", "db"), ("SUPABASE_DB_PASSWORD", "pw")]),
        stack: Some(fifty_alias_stack()),
        ..Inputs::default()
    };
    assert!(dbstack_core::resolve(&fifty, &answers).is_ok());
    c.bench_function("resolve/50-alias-stack", |b| {
        b.iter(|| dbstack_core::resolve(black_box(&fifty), &answers));
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
