//! Hostile servers (issue 15): endless bodies, gigantic length prefixes, echoed secrets and
//! slowloris answers, for the Vault client and every `verify` probe. Each must end within its
//! timeout, read a bounded number of bytes, and never print a secret in any form.
//!
//! The servers are small tokio listeners written here; each counts the bytes it managed to
//! send before the client hung up (the most the client can have buffered).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use common::{default_kv_reads, plan, settings, token_env};
use dbstack_core::vault::{VaultAnswers, VaultFailure, VaultStatus};
use dbstack_runtime::verify::{self, FailureKind, VerifyOptions, VerifyReport};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

// Both carry the sentinel of tests/sentinel.txt (scripts/sentinel.py scans every log for it).
const TOKEN: &str = concat!(
    "hvs.HOSTILE-",
    include_str!("../../tests/sentinel.txt"),
    "-token-4242"
);
const PASSWORD: &str = concat!(
    "pw-HOSTILE/",
    include_str!("../../tests/sentinel.txt"),
    "+4242"
);

/// The most bytes a client may take in before it gives up: the 1 MiB body or frame limits,
/// plus what the kernel's socket buffers hold.
const BYTES_BOUND: u64 = 16 * 1024 * 1024;

fn base64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Every way a server might echo `secret`.
fn echoes(secret: &str) -> String {
    let percent: String = secret
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    format!(
        "raw {secret} | b64 {} | basic {} | pct {percent}",
        base64(secret.as_bytes()),
        base64(format!("user:{secret}").as_bytes())
    )
}

fn assert_clean(text: &str, secret: &str) {
    let b64 = base64(secret.as_bytes());
    for form in [secret, b64.trim_end_matches('='), "HOSTILE"] {
        assert!(!text.contains(form), "`{form}` leaked: {text}");
    }
}

/// The peak resident memory of this process: hostile answers must not grow it by hundreds
/// of megabytes (an endless body used to reach 860 MB in 2 s).
fn peak_rss_mb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb / 1024)
}

/// What a hostile server waits for before its reply.
#[derive(Clone, Copy)]
enum Wait {
    /// Nothing: it speaks first (MySQL's handshake).
    Nothing,
    /// One read of whatever the client sends first.
    OneRead,
    /// The end of an HTTP request head (and a moment for a login's body).
    HttpHead,
}

/// What a hostile server does after its reply.
#[derive(Clone, Copy)]
enum Then {
    /// Hangs up.
    Close,
    /// Says nothing more for 5 s.
    Hang,
    /// Sends 64 KiB chunks of this byte until the client hangs up.
    Endless(u8),
    /// Sends this text a byte every 200 ms, forever.
    Trickle(&'static [u8]),
}

/// Serves on every connection to a new port: `wait`, then `reply` (none when empty), then
/// `then`. The counter holds the bytes sent by `Endless` and `Trickle`.
fn serve(wait: Wait, reply: &[u8], then: Then) -> (u16, Arc<AtomicU64>) {
    let reply: Arc<[u8]> = Arc::from(reply);
    let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    std_listener.set_nonblocking(true).unwrap();
    let port = std_listener.local_addr().unwrap().port();
    let sent = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&sent);
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = TcpListener::from_std(std_listener).unwrap();
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                tokio::spawn(behave(
                    stream,
                    wait,
                    Arc::clone(&reply),
                    then,
                    Arc::clone(&counter),
                ));
            }
        });
    });
    (port, sent)
}

/// One connection of `serve`.
async fn behave(
    mut stream: TcpStream,
    wait: Wait,
    reply: Arc<[u8]>,
    then: Then,
    sent: Arc<AtomicU64>,
) {
    match wait {
        Wait::Nothing => {}
        Wait::OneRead => {
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf).await;
        }
        Wait::HttpHead => read_head(&mut stream).await,
    }
    if !reply.is_empty() {
        let _ = stream.write_all(&reply).await;
    }
    match then {
        Then::Close => {}
        Then::Hang => tokio::time::sleep(Duration::from_secs(5)).await,
        Then::Endless(byte) => endless(&mut stream, &[byte; 64 * 1024], &sent).await,
        Then::Trickle(text) => trickle(&mut stream, text, &sent).await,
    }
}

/// Reads until the end of an HTTP request head (the requests here have small or no bodies).
async fn read_head(stream: &mut TcpStream) {
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
        if head.len() > 64 * 1024 {
            return;
        }
    }
    // A login's JSON body follows; give it a moment to arrive and drop it.
    let _ = tokio::time::timeout(Duration::from_millis(20), stream.read(&mut buf)).await;
}

/// Writes `chunk` until the client hangs up, counting the bytes.
async fn endless(stream: &mut TcpStream, chunk: &[u8], sent: &AtomicU64) {
    while stream.write_all(chunk).await.is_ok() {
        sent.fetch_add(chunk.len() as u64, Ordering::Relaxed);
    }
}

/// One byte every 200 ms, forever.
async fn trickle(stream: &mut TcpStream, text: &[u8], sent: &AtomicU64) {
    for byte in text.iter().cycle() {
        if stream.write_all(&[*byte]).await.is_err() {
            return;
        }
        sent.fetch_add(1, Ordering::Relaxed);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

// ---------------------------------------------------------------------------------------
// Vault
// ---------------------------------------------------------------------------------------

fn vault_failure(port: u16, timeout_ms: u64) -> (VaultFailure, Duration, String) {
    let mut s = settings(&format!("http://127.0.0.1:{port}"));
    s.timeout_ms = timeout_ms;
    let start = Instant::now();
    let answers: VaultAnswers =
        dbstack_runtime::vault::perform(&plan(s, default_kv_reads()), &token_env(TOKEN));
    let elapsed = start.elapsed();
    let shown = serde_json::to_string(&answers).unwrap();
    match answers.status {
        VaultStatus::Failed { error } => (error, elapsed, shown),
        other => panic!("expected a failure, got {other:?}"),
    }
}

#[test]
fn vault_endless_body_is_an_invalid_response_after_a_bounded_read() {
    let head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n{\"data\": \"";
    let (port, sent) = serve(Wait::HttpHead, head, Then::Endless(b'A'));
    let (error, elapsed, shown) = vault_failure(port, 2000);
    assert_eq!(error.kind, "invalid_response", "{error:?}");
    assert!(error.message.contains("larger than"), "{error:?}");
    assert!(elapsed < Duration::from_secs(3), "{elapsed:?}");
    let bytes = sent.load(Ordering::Relaxed);
    eprintln!(
        "vault endless 200 body: {bytes} bytes sent before the client hung up, {elapsed:?}, peak RSS {} MB",
        peak_rss_mb()
    );
    assert!(bytes < BYTES_BOUND, "the client took {bytes} bytes");
    assert_clean(&shown, TOKEN);
    assert!(peak_rss_mb() < 400, "peak RSS {} MB", peak_rss_mb());
}

#[test]
fn vault_gigantic_content_length_is_refused_before_reading() {
    let head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 99999999999\r\n\r\n{";
    let (port, sent) = serve(Wait::HttpHead, head, Then::Trickle(b"\"x\":1,"));
    let (error, elapsed, _) = vault_failure(port, 2000);
    assert_eq!(error.kind, "invalid_response", "{error:?}");
    assert!(elapsed < Duration::from_secs(1), "{elapsed:?}");
    assert!(sent.load(Ordering::Relaxed) < 100);
}

#[test]
fn vault_echoing_the_token_in_any_form_is_scrubbed() {
    let said = echoes(TOKEN);
    let body = json!({ "errors": [format!("permission denied: {said}")] }).to_string();
    let reply = format!(
        "HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let (port, _) = serve(Wait::HttpHead, reply.as_bytes(), Then::Close);
    let (error, _, shown) = vault_failure(port, 2000);
    assert_eq!(error.kind, "auth_failed", "{error:?}");
    assert_clean(&error.message, TOKEN);
    assert_clean(&shown, TOKEN);
}

#[test]
fn vault_slowloris_times_out_on_time() {
    let (port, sent) = serve(
        Wait::HttpHead,
        b"",
        Then::Trickle(b"HTTP/1.1 200 OK\r\nX-Slow: "),
    );
    let (error, elapsed, _) = vault_failure(port, 500);
    assert_eq!(error.kind, "timeout", "{error:?}");
    // Per request 500 ms; the whole exchange 3 timeouts.
    assert!(elapsed < Duration::from_millis(2000), "{elapsed:?}");
    assert!(sent.load(Ordering::Relaxed) < 100);
}

#[cfg(unix)]
#[test]
fn a_fifo_as_vault_token_file_is_an_error_at_once() {
    let home = tempfile::tempdir().unwrap();
    let fifo = home.path().join(".vault-token");
    assert!(std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let mut env = token_env("");
    env.insert("HOME".into(), home.path().display().to_string());
    let start = Instant::now();
    // Nothing listens: the token is read before any request.
    let answers =
        dbstack_runtime::vault::perform(&plan(settings("http://127.0.0.1:9"), vec![]), &env);
    let VaultStatus::Failed { error } = answers.status else {
        panic!("{answers:?}")
    };
    assert_eq!(error.kind, "config", "{error:?}");
    assert!(error.message.contains("FIFO"), "{error:?}");
    assert_eq!(error.source, fifo.display().to_string());
    assert!(start.elapsed() < Duration::from_secs(1));

    // The service-account token of Kubernetes auth too.
    let mut s = settings("http://127.0.0.1:9");
    s.auth = dbstack_core::vault::AuthMethod::Kubernetes;
    s.k8s_role = Some("app".into());
    s.k8s_token_path = fifo.display().to_string();
    let answers = dbstack_runtime::vault::perform(&plan(s, vec![]), &env);
    let VaultStatus::Failed { error } = answers.status else {
        panic!("{answers:?}")
    };
    assert_eq!(error.kind, "config", "{error:?}");
    assert!(error.message.contains("FIFO"), "{error:?}");
    assert!(start.elapsed() < Duration::from_secs(2));
}

// ---------------------------------------------------------------------------------------
// verify probes
// ---------------------------------------------------------------------------------------

fn report(doc: &Value, timeout_ms: u64) -> (VerifyReport, Duration) {
    let options = VerifyOptions {
        timeout: Duration::from_millis(timeout_ms),
        ..VerifyOptions::default()
    };
    let start = Instant::now();
    let report = verify::verify(doc, &options).unwrap();
    (report, start.elapsed())
}

fn doc(extra: Value) -> Value {
    let mut d = json!({
        "schema": "dbstack.resolution/v1",
        "profile": "production",
        "fallback": {"active": false, "reason": null},
        "vault": {"enabled": false, "addr": null},
        "django": {"DATABASES": {}},
    });
    for (k, v) in extra.as_object().unwrap() {
        if k == "DATABASES" || k == "CACHES" {
            d["django"][k] = v.clone();
        } else {
            d[k] = v.clone();
        }
    }
    d
}

fn postgres_doc(port: u16) -> Value {
    doc(json!({"DATABASES": {"default": {
        "ENGINE": "django.db.backends.postgresql", "NAME": "app", "USER": "app",
        "PASSWORD": PASSWORD, "HOST": "127.0.0.1", "PORT": port, "CONN_MAX_AGE": 0,
        "CONN_HEALTH_CHECKS": false, "DISABLE_SERVER_SIDE_CURSORS": false,
        "OPTIONS": {"sslmode": "disable"}}}}))
}

fn mysql_doc(port: u16) -> Value {
    doc(json!({"DATABASES": {"default": {
        "ENGINE": "django.db.backends.mysql", "NAME": "app", "USER": "app",
        "PASSWORD": PASSWORD, "HOST": "127.0.0.1", "PORT": port, "CONN_MAX_AGE": 0,
        "CONN_HEALTH_CHECKS": false, "DISABLE_SERVER_SIDE_CURSORS": false}}}))
}

fn redis_doc(port: u16) -> Value {
    let pw: String = PASSWORD.replace('/', "%2F").replace('+', "%2B");
    doc(json!({"CACHES": {"default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": format!("redis://:{pw}@127.0.0.1:{port}/0")}}}))
}

fn ragflow_doc(port: u16) -> Value {
    doc(json!({"ragflow": {"BASE_URL": format!("http://127.0.0.1:{port}"), "API_KEY": PASSWORD}}))
}

fn rocketmq_doc(port: u16) -> Value {
    doc(json!({"rocketmq": {"NAMESRV_ADDR": format!("127.0.0.1:{port}")}}))
}

/// The one check of `report`: failed with `kind`, within `limit`, and no secret anywhere.
fn assert_check(report: &VerifyReport, elapsed: Duration, kind: FailureKind, limit: Duration) {
    let text = report.render_table();
    let json = serde_json::to_string(&report.to_json()).unwrap();
    let check = report.checks.first().expect("one check");
    let error = check
        .error
        .as_ref()
        .unwrap_or_else(|| panic!("passed: {text}"));
    assert_eq!(error.kind, kind, "{text}");
    assert!(elapsed < limit, "{elapsed:?}: {text}");
    assert_clean(&text, PASSWORD);
    assert_clean(&json, PASSWORD);
}

/// The one check of `report` failed (of whatever kind) within `limit`, and no secret anywhere.
fn assert_failed(report: &VerifyReport, elapsed: Duration, limit: Duration) {
    let text = report.render_table();
    assert!(
        report.checks.first().is_some_and(|c| !c.ok) && elapsed < limit,
        "{elapsed:?}: {text}"
    );
    assert_clean(&text, PASSWORD);
    assert_clean(&serde_json::to_string(&report.to_json()).unwrap(), PASSWORD);
}

#[test]
fn http_probe_endless_body_echo_and_slowloris() {
    // Endless: at most 1 MiB is read, then it is not a health answer.
    let (port, sent) = serve(
        Wait::HttpHead,
        b"HTTP/1.1 200 OK\r\n\r\n",
        Then::Endless(b'{'),
    );
    let (r, elapsed) = report(&ragflow_doc(port), 2000);
    assert_failed(&r, elapsed, Duration::from_secs(3));
    assert!(sent.load(Ordering::Relaxed) < BYTES_BOUND);

    // Echoed key in an unhealthy answer's details.
    let body = json!({"status": "nok", "db": echoes(PASSWORD), "redis": "ok"}).to_string();
    let reply = format!(
        "HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let (port, _) = serve(Wait::HttpHead, reply.as_bytes(), Then::Close);
    let (r, elapsed) = report(&ragflow_doc(port), 2000);
    assert_check(&r, elapsed, FailureKind::Unhealthy, Duration::from_secs(3));

    let (port, _) = serve(
        Wait::HttpHead,
        b"",
        Then::Trickle(b"HTTP/1.1 200 OK\r\nX: "),
    );
    let (r, elapsed) = report(&ragflow_doc(port), 600);
    assert_check(&r, elapsed, FailureKind::Timeout, Duration::from_secs(2));
}

#[test]
fn resp_probe_gigantic_bulk_endless_line_echo_and_slowloris() {
    let reply = b"+OK\r\n+OK\r\n+PONG\r\n$99999999999\r\n";
    let (port, _) = serve(Wait::OneRead, reply, Then::Hang);
    let (r, elapsed) = report(&redis_doc(port), 2000);
    assert_check(
        &r,
        elapsed,
        FailureKind::WrongProtocol,
        Duration::from_secs(1),
    );

    let (port, sent) = serve(Wait::OneRead, b"+", Then::Endless(b'O'));
    let (r, elapsed) = report(&redis_doc(port), 2000);
    assert_check(
        &r,
        elapsed,
        FailureKind::WrongProtocol,
        Duration::from_secs(3),
    );
    assert!(sent.load(Ordering::Relaxed) < BYTES_BOUND);

    let line = format!("-WRONGPASS {}\r\n", echoes(PASSWORD));
    let (port, _) = serve(Wait::OneRead, line.as_bytes(), Then::Close);
    let (r, elapsed) = report(&redis_doc(port), 2000);
    assert_check(&r, elapsed, FailureKind::AuthFailed, Duration::from_secs(2));

    let (port, _) = serve(Wait::OneRead, b"", Then::Trickle(b"+OK"));
    let (r, elapsed) = report(&redis_doc(port), 600);
    assert_check(&r, elapsed, FailureKind::Timeout, Duration::from_secs(2));
}

#[test]
fn rocketmq_probe_gigantic_and_lying_length_prefixes() {
    // Beyond the 4 MiB limit: refused at once.
    let (port, _) = serve(Wait::OneRead, &u32::MAX.to_be_bytes(), Then::Hang);
    let (r, elapsed) = report(&rocketmq_doc(port), 2000);
    assert_check(
        &r,
        elapsed,
        FailureKind::WrongProtocol,
        Duration::from_secs(1),
    );

    // Within the limit but a lie: 4 MiB announced, a trickle sent; nothing is allocated ahead.
    let before = peak_rss_mb();
    let announced = (4u32 * 1024 * 1024).to_be_bytes();
    let (port, _) = serve(Wait::OneRead, &announced, Then::Trickle(b"\0"));
    let (r, elapsed) = report(&rocketmq_doc(port), 600);
    assert_check(&r, elapsed, FailureKind::Timeout, Duration::from_secs(2));
    assert!(
        peak_rss_mb() < before + 64,
        "{before} -> {} MB",
        peak_rss_mb()
    );
}

#[test]
fn postgres_probe_gigantic_message_echo_and_slowloris() {
    // An authentication request announcing 2 GiB, then silence.
    let (port, _) = serve(Wait::OneRead, b"R\x7f\xff\xff\xff\0\0\0\0", Then::Hang);
    let (r, elapsed) = report(&postgres_doc(port), 800);
    assert_failed(&r, elapsed, Duration::from_secs(2));
    assert!(peak_rss_mb() < 400, "peak RSS {} MB", peak_rss_mb());

    // An ErrorResponse echoing the password in every form.
    let mut fields = Vec::new();
    for (code, text) in [
        (b'S', "FATAL".to_owned()),
        (b'V', "FATAL".to_owned()),
        (b'C', "28P01".to_owned()),
        (
            b'M',
            format!("password authentication failed: {}", echoes(PASSWORD)),
        ),
    ] {
        fields.push(code);
        fields.extend_from_slice(text.as_bytes());
        fields.push(0);
    }
    fields.push(0);
    let mut message = vec![b'E'];
    message.extend_from_slice(&(fields.len() as u32 + 4).to_be_bytes());
    message.extend_from_slice(&fields);
    let (port, _) = serve(Wait::OneRead, &message, Then::Close);
    let (r, elapsed) = report(&postgres_doc(port), 2000);
    assert_check(&r, elapsed, FailureKind::AuthFailed, Duration::from_secs(2));

    let (port, _) = serve(Wait::OneRead, b"", Then::Trickle(b"R\0\0\0\x08\0\0\0\x03"));
    let (r, elapsed) = report(&postgres_doc(port), 600);
    assert_check(&r, elapsed, FailureKind::Timeout, Duration::from_secs(2));
}

#[test]
fn mysql_probe_gigantic_packet_echo_and_slowloris() {
    // A packet header announcing 16 MiB, then silence.
    let (port, _) = serve(Wait::Nothing, b"\xff\xff\xff\x00\x0a", Then::Hang);
    let (r, elapsed) = report(&mysql_doc(port), 800);
    assert_failed(&r, elapsed, Duration::from_secs(2));
    assert!(peak_rss_mb() < 400, "peak RSS {} MB", peak_rss_mb());

    // An error packet (1045) echoing the password, sent instead of the handshake.
    let message = format!("Access denied: {}", echoes(PASSWORD));
    let mut payload = vec![0xff, 0x15, 0x04, b'#'];
    payload.extend_from_slice(b"28000");
    payload.extend_from_slice(message.as_bytes());
    let len = payload.len() as u32;
    let mut packet = len.to_le_bytes()[..3].to_vec();
    packet.push(0);
    packet.extend_from_slice(&payload);
    let (port, _) = serve(Wait::Nothing, &packet, Then::Close);
    let (r, elapsed) = report(&mysql_doc(port), 2000);
    assert_failed(&r, elapsed, Duration::from_secs(2));

    let (port, _) = serve(Wait::Nothing, b"", Then::Trickle(b"\x4a\0\0\0\x0a5.5.5-"));
    let (r, elapsed) = report(&mysql_doc(port), 600);
    assert_check(&r, elapsed, FailureKind::Timeout, Duration::from_secs(2));
}
