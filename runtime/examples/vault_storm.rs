//! Start-storm benchmark (BENCHMARKS.md, "Vault start storm"; driven by
//! `scripts/bench/storm.sh`): N simulated pods start together, each an independent resolution
//! with its own Vault client and its own login (AppRole or Kubernetes auth) plus the four KV v2
//! reads of the default layout, against one Vault. Every request goes through a counting TCP
//! proxy in this process, so retries are counted too. Prints one JSON line.
//!
//!   vault_storm --vault http://127.0.0.1:8200 --pods 100 --quota 200 --auth approle \
//!       --role-id ID --secret-id SECRET
//!   vault_storm ... --auth kubernetes --k8s-role dbstack --jwt-dir DIR   (DIR/<i>.jwt per pod)
#![allow(
    clippy::print_stdout,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use dbstack_core::vault::VaultStatus;
use dbstack_runtime::inputs::{gather, GatherOptions};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[derive(Debug, Default)]
struct Args {
    vault: String,
    pods: usize,
    quota: f64,
    auth: String,
    role_id: String,
    secret_id: String,
    k8s_role: String,
    jwt_dir: String,
}

fn args() -> Args {
    let mut a = Args {
        pods: 100,
        quota: 200.0,
        auth: "approle".into(),
        ..Args::default()
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().unwrap_or_default();
        match flag.as_str() {
            "--vault" => a.vault = value,
            "--pods" => a.pods = value.parse().expect("--pods N"),
            "--quota" => a.quota = value.parse().expect("--quota requests/s"),
            "--auth" => a.auth = value,
            "--role-id" => a.role_id = value,
            "--secret-id" => a.secret_id = value,
            "--k8s-role" => a.k8s_role = value,
            "--jwt-dir" => a.jwt_dir = value,
            other => panic!("unknown flag {other}"),
        }
    }
    a
}

/// A TCP proxy to `upstream` counting the HTTP/1.1 requests clients send through it.
async fn counting_proxy(upstream: String, requests: Arc<AtomicU64>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        loop {
            let Ok((client, _)) = listener.accept().await else {
                continue;
            };
            let upstream = upstream.clone();
            let requests = Arc::clone(&requests);
            tokio::spawn(async move {
                let Ok(server) = TcpStream::connect(&upstream).await else {
                    return;
                };
                let (mut cr, mut cw) = client.into_split();
                let (mut sr, mut sw) = server.into_split();
                let up = async move {
                    let mut buf = vec![0u8; 16384];
                    // A request line can straddle two reads: keep the tail of the last one.
                    let mut tail: Vec<u8> = Vec::new();
                    while let Ok(n) = cr.read(&mut buf).await {
                        if n == 0 {
                            break;
                        }
                        let mut seen = std::mem::take(&mut tail);
                        seen.extend_from_slice(&buf[..n]);
                        let marker = b" HTTP/1.1\r\n";
                        let count = seen.windows(marker.len()).filter(|w| w == marker).count();
                        requests.fetch_add(count as u64, Ordering::Relaxed);
                        let keep = seen.len().min(marker.len() - 1);
                        tail = seen[seen.len() - keep..].to_vec();
                        if sw.write_all(&buf[..n]).await.is_err() {
                            break;
                        }
                    }
                    let _ = sw.shutdown().await;
                };
                let down = async move {
                    let _ = tokio::io::copy(&mut sr, &mut cw).await;
                    let _ = cw.shutdown().await;
                };
                tokio::join!(up, down);
            });
        }
    });
    port
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn main() {
    let a = args();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let requests = Arc::new(AtomicU64::new(0));
        let upstream = a
            .vault
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_owned();
        let port = counting_proxy(upstream, Arc::clone(&requests)).await;
        let addr = format!("http://127.0.0.1:{port}");

        let mut pods = Vec::with_capacity(a.pods);
        for i in 0..a.pods {
            let mut env = BTreeMap::new();
            env.insert("VAULT_ADDR".to_owned(), addr.clone());
            env.insert("DBSTACK_KUBERNETES".to_owned(), "false".to_owned());
            env.insert("DBSTACK_PROFILE".to_owned(), "production".to_owned());
            env.insert("HOME".to_owned(), "/nonexistent".to_owned());
            env.insert("VAULT_AUTH_METHOD".to_owned(), a.auth.clone());
            // The knobs under test come from the bench's own environment.
            for knob in ["DBSTACK_VAULT_TIMEOUT", "DBSTACK_VAULT_DEADLINE"] {
                if let Ok(value) = std::env::var(knob) {
                    env.insert(knob.to_owned(), value);
                }
            }
            if a.auth == "kubernetes" {
                env.insert("VAULT_K8S_ROLE".to_owned(), a.k8s_role.clone());
                env.insert(
                    "VAULT_K8S_TOKEN_PATH".to_owned(),
                    format!("{}/{i}.jwt", a.jwt_dir),
                );
            } else {
                env.insert("VAULT_ROLE_ID".to_owned(), a.role_id.clone());
                env.insert("VAULT_SECRET_ID".to_owned(), a.secret_id.clone());
            }
            let inputs = gather(env, GatherOptions::default()).unwrap();
            let plan = dbstack_core::plan(&inputs).unwrap();
            pods.push((inputs, plan));
        }
        let reads_per_pod = pods.first().map_or(0, |(_, p)| p.reads.len());

        let start = Instant::now();
        let mut tasks = tokio::task::JoinSet::new();
        for (inputs, plan) in pods {
            tasks.spawn(async move {
                let began = Instant::now();
                let answers = dbstack_runtime::vault::perform_async(&plan, &inputs.env).await;
                let ok = matches!(answers.status, VaultStatus::Ok)
                    && dbstack_core::resolve(&inputs, &answers).is_ok();
                let error = match &answers.status {
                    VaultStatus::Failed { error } => Some(error.kind.clone()),
                    _ => None,
                };
                (ok, began.elapsed(), start.elapsed(), error)
            });
        }
        let mut times = Vec::new();
        let mut failed = 0usize;
        let mut errors: BTreeMap<String, usize> = BTreeMap::new();
        let mut last = Duration::ZERO;
        while let Some(done) = tasks.join_next().await {
            let (ok, took, at, error) = done.unwrap();
            if ok {
                times.push(took.as_secs_f64());
                last = last.max(at);
            } else {
                failed += 1;
                *errors.entry(error.unwrap_or_default()).or_default() += 1;
            }
        }
        times.sort_by(f64::total_cmp);
        let minimum = (a.pods * (1 + reads_per_pod)) as f64;
        let sent = requests.load(Ordering::Relaxed) as f64;
        let floor = minimum / a.quota;
        let report = serde_json::json!({
            "client": "dbstack",
            "auth": a.auth,
            "pods": a.pods,
            "quota_per_s": a.quota,
            "vault_timeout": std::env::var("DBSTACK_VAULT_TIMEOUT").unwrap_or_else(|_| "2s".into()),
            "failed_pods": failed,
            "errors": errors,
            "last_pod_s": (last.as_secs_f64() * 100.0).round() / 100.0,
            "floor_s": (floor * 100.0).round() / 100.0,
            "target_last_s": ((1.5 * floor + 2.0) * 100.0).round() / 100.0,
            "requests_sent": sent,
            "requests_minimum": minimum,
            "requests_ratio": (sent / minimum * 1000.0).round() / 1000.0,
            "p50_s": (percentile(&times, 50.0) * 100.0).round() / 100.0,
            "p99_s": (percentile(&times, 99.0) * 100.0).round() / 100.0,
        });
        println!("{report}");
    });
}
