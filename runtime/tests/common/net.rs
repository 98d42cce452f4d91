//! Misbehaving servers for the failure tests: one that accepts and never answers, one that
//! answers with a fixed HTTP response (garbage JSON, 500, 400), a proxy that delays, and a proxy
//! that answers 429 before it forwards.
#![allow(dead_code, unreachable_pub)]

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

/// Accepts connections and holds them open without ever answering.
pub fn silent_listener() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    port
}

/// Answers every request with `status` and `body`; counts the requests it saw.
pub fn fixed_responder(status: &'static str, body: &'static str) -> (u16, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let count = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&count);
    thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let seen = Arc::clone(&seen);
            thread::spawn(move || {
                let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
                // Serve keep-alive requests until the client closes.
                while read_request(&mut stream) {
                    seen.fetch_add(1, Ordering::SeqCst);
                    let reply = format!(
                        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                        body.len()
                    );
                    if stream.write_all(reply.as_bytes()).is_err() {
                        break;
                    }
                }
            });
        }
    });
    (port, count)
}

/// Reads one request's head and body (by Content-Length); false at end of stream.
fn read_request(stream: &mut TcpStream) -> bool {
    read_raw_request(stream).is_some()
}

/// A TCP proxy to `127.0.0.1:upstream` that sleeps `delay` before forwarding each chunk the
/// client sends (so every request, also on a kept-alive connection, is delayed).
pub fn delaying_proxy(upstream: u16, delay: Duration) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let Ok(server) = TcpStream::connect(("127.0.0.1", upstream)) else {
                continue;
            };
            let (mut c_read, mut s_write) =
                (client.try_clone().unwrap(), server.try_clone().unwrap());
            let (mut s_read, mut c_write) = (server, client);
            thread::spawn(move || {
                let mut buf = [0u8; 16384];
                while let Ok(n) = c_read.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    thread::sleep(delay);
                    if s_write.write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
                let _ = s_write.shutdown(Shutdown::Write);
            });
            thread::spawn(move || {
                let _ = std::io::copy(&mut s_read, &mut c_write);
                let _ = c_write.shutdown(Shutdown::Write);
            });
        }
    });
    port
}

/// A proxy to `127.0.0.1:upstream` that answers the first `refuse` requests itself with
/// `429 Too Many Requests` (and `Retry-After: <retry_after>` when given) and forwards every
/// later one. Returns the port and the numbers of refused and forwarded requests.
pub fn refusing_proxy(
    upstream: u16,
    refuse: usize,
    retry_after: Option<String>,
) -> (u16, Arc<AtomicUsize>, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let refused = Arc::new(AtomicUsize::new(0));
    let forwarded = Arc::new(AtomicUsize::new(0));
    let (r, f) = (Arc::clone(&refused), Arc::clone(&forwarded));
    let seen = Arc::new(AtomicUsize::new(0));
    thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let (refused, forwarded, seen) = (Arc::clone(&r), Arc::clone(&f), Arc::clone(&seen));
            let retry_after = retry_after.clone();
            thread::spawn(move || {
                let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
                while let Some(request) = read_raw_request(&mut stream) {
                    let reply = if seen.fetch_add(1, Ordering::SeqCst) < refuse {
                        refused.fetch_add(1, Ordering::SeqCst);
                        let body = r#"{"errors":["rate limit quota exceeded"]}"#;
                        let header = retry_after
                            .as_ref()
                            .map(|v| format!("Retry-After: {v}\r\n"))
                            .unwrap_or_default();
                        format!(
                            "HTTP/1.1 429 Too Many Requests\r\nContent-Type: application/json\r\n{header}Content-Length: {}\r\n\r\n{body}",
                            body.len()
                        )
                        .into_bytes()
                    } else {
                        forwarded.fetch_add(1, Ordering::SeqCst);
                        forward_once(upstream, &request)
                    };
                    if stream.write_all(&reply).is_err() {
                        break;
                    }
                }
            });
        }
    });
    (port, refused, forwarded)
}

/// One request's raw bytes (head and Content-Length body); `None` at end of stream.
fn read_raw_request(stream: &mut TcpStream) -> Option<Vec<u8>> {
    let mut raw = Vec::new();
    let mut byte = [0u8; 1];
    while !raw.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte) {
            Ok(1) => raw.push(byte[0]),
            _ => return None,
        }
    }
    let text = String::from_utf8_lossy(&raw).to_lowercase();
    let length: usize = text
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    let mut body = vec![0u8; length];
    stream.read_exact(&mut body).ok()?;
    raw.extend_from_slice(&body);
    Some(raw)
}

/// Sends `request` to the upstream with `Connection: close` and returns its whole answer.
fn forward_once(upstream: u16, request: &[u8]) -> Vec<u8> {
    let line_end = request.windows(2).position(|w| w == b"\r\n").unwrap() + 2;
    let mut rewritten = request[..line_end].to_vec();
    rewritten.extend_from_slice(b"Connection: close\r\n");
    rewritten.extend_from_slice(&request[line_end..]);
    let mut server = TcpStream::connect(("127.0.0.1", upstream)).unwrap();
    server.write_all(&rewritten).unwrap();
    let mut answer = Vec::new();
    let _ = server.read_to_end(&mut answer);
    answer
}
