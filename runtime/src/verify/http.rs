//! HTTP health endpoints: RAGflow's `/api/v1/system/healthz` and Vault's `/v1/sys/health`.
//!
//! One `GET` with `Connection: close` over the same TCP/TLS layer the other probes use (so a
//! refused port, a DNS failure, a TLS failure and a timeout are sorted the same way
//! everywhere); an HTTP client library would add nothing for a single request.

use serde_json::{Map, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::net::{self, Verify};
use super::targets::{address, HttpKind, HttpTarget};
use super::{CheckError, FailureKind, Outcome, VerifyOptions};

/// The largest health answer read: 1 MiB (RAGflow's is under 200 bytes).
const MAX_RESPONSE: u64 = 1024 * 1024;

/// A parsed response.
#[derive(Debug)]
pub(super) struct Response {
    status: u16,
    body: Vec<u8>,
}

pub(crate) async fn probe(t: &HttpTarget, options: &VerifyOptions) -> Result<Outcome, CheckError> {
    let target = address(&t.host, t.port);
    let verify = match t.kind {
        HttpKind::Vault if options.vault_skip_verify => (Verify::Nothing, None),
        HttpKind::Vault => (Verify::Full, options.vault_ca_cert.as_deref()),
        HttpKind::Ragflow => (Verify::Full, None),
    };
    let mut stream = net::connect_maybe_tls(&t.host, t.port, t.tls.then_some(verify)).await?;
    let default_port = if t.tls { 443 } else { 80 };
    let host_header = match target.rsplit_once(':') {
        Some((host, _)) if t.port == default_port => host,
        _ => &target,
    };
    let bearer = match t.bearer.expose() {
        "" => String::new(),
        token => format!("Authorization: Bearer {token}\r\n"),
    };
    let request = format!(
        "GET {} HTTP/1.1\r\nHost: {host_header}\r\nUser-Agent: dbstack-verify\r\nAccept: application/json\r\nConnection: close\r\n{bearer}\r\n",
        t.path
    );
    stream
        .write_all(request.as_bytes())
        .await
        .map_err(|e| net::io_error(&e, &format!("send to {target}")))?;
    let mut raw = Vec::new();
    let read = (&mut stream)
        .take(MAX_RESPONSE + 1)
        .read_to_end(&mut raw)
        .await;
    // A TLS peer that closes without close_notify still delivered a full response.
    if let Err(e) = read {
        if raw.is_empty() || e.kind() != std::io::ErrorKind::UnexpectedEof {
            return Err(net::io_error(&e, &format!("read from {target}")));
        }
    }
    if raw.len() as u64 > MAX_RESPONSE {
        return Err(CheckError::new(
            FailureKind::WrongProtocol,
            format!("{target} sent more than {MAX_RESPONSE} bytes: not a health answer"),
        ));
    }
    let response = parse_response(&raw).map_err(|why| {
        CheckError::new(
            FailureKind::WrongProtocol,
            format!("{target} does not speak HTTP: {why}"),
        )
    })?;
    match t.kind {
        HttpKind::Ragflow => ragflow(&response, &target, &t.path),
        HttpKind::Vault => vault(&response, &target),
    }
}

/// RAGflow: 200 and `status` "ok"; 500 names the failing components.
pub(super) fn ragflow(
    response: &Response,
    target: &str,
    path: &str,
) -> Result<Outcome, CheckError> {
    let json: Option<Map<String, Value>> = serde_json::from_slice(&response.body).ok();
    let answered_json = json.is_some();
    let mut details = json.unwrap_or_default();
    details.retain(|k, _| {
        matches!(
            k.as_str(),
            "status" | "db" | "redis" | "doc_engine" | "storage"
        )
    });
    let failing: Vec<String> = details
        .iter()
        .filter(|(k, v)| k.as_str() != "status" && v.as_str() != Some("ok"))
        .map(|(k, v)| {
            format!(
                "{k}={}",
                v.as_str().map_or_else(|| v.to_string(), str::to_owned)
            )
        })
        .collect();
    let status = details.get("status").and_then(Value::as_str);
    let error =
        if response.status == 200 && status.map_or(true, |s| s == "ok") && failing.is_empty() {
            None
        } else if response.status == 200 || (response.status == 500 && answered_json) {
            Some(CheckError::new(
                FailureKind::Unhealthy,
                format!(
                    "{target}{path} reports status {} ({})",
                    status.unwrap_or("?"),
                    if failing.is_empty() {
                        "no component named".to_owned()
                    } else {
                        failing.join(", ")
                    }
                ),
            ))
        } else {
            Some(CheckError::new(
                FailureKind::HttpStatus,
                format!("GET {target}{path} answered HTTP {}", response.status),
            ))
        };
    Ok(Outcome {
        details,
        error,
        ..Outcome::default()
    })
}

/// Vault: any status with the health JSON; sealed or uninitialized is a failure.
pub(super) fn vault(response: &Response, target: &str) -> Result<Outcome, CheckError> {
    let without_document = |kind| {
        CheckError::new(
            kind,
            format!(
                "GET {target}/v1/sys/health answered HTTP {} without the health document",
                response.status
            ),
        )
    };
    let json: Map<String, Value> = match serde_json::from_slice(&response.body) {
        Ok(Value::Object(map)) => map,
        _ => return Err(without_document(FailureKind::HttpStatus)),
    };
    let flag = |k: &str| json.get(k).and_then(Value::as_bool);
    let mut details = Map::new();
    for key in ["initialized", "sealed", "standby"] {
        details.insert(key.to_owned(), flag(key).map_or(Value::Null, Value::Bool));
    }
    let version = json
        .get("version")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let error = if flag("sealed") == Some(true) {
        Some(CheckError::new(
            FailureKind::Unhealthy,
            format!("vault at {target} is sealed"),
        ))
    } else if flag("initialized") == Some(false) {
        Some(CheckError::new(
            FailureKind::Unhealthy,
            format!("vault at {target} is not initialized"),
        ))
    } else if flag("sealed").is_none() {
        // Vault answers its health path with 200, 429, 472, 473, 501 or 503.
        Some(without_document(
            if matches!(response.status, 200 | 429 | 472 | 473 | 501 | 503) {
                FailureKind::WrongProtocol
            } else {
                FailureKind::HttpStatus
            },
        ))
    } else {
        None
    };
    Ok(Outcome {
        version,
        details,
        error,
    })
}

pub(super) fn parse_response(raw: &[u8]) -> Result<Response, String> {
    let head_end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| {
            if raw.is_empty() {
                "the connection closed without an answer".to_owned()
            } else {
                format!("it sent {}", net::excerpt(raw))
            }
        })?;
    let (head, rest) = raw.split_at(head_end);
    let body = rest.get(4..).unwrap_or_default();
    let head = String::from_utf8_lossy(head);
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let (version, rest) = status_line.split_once(' ').unwrap_or((status_line, ""));
    let code = rest.split(' ').next().unwrap_or_default();
    if !version.starts_with("HTTP/1.") {
        return Err(format!("it sent {}", net::excerpt(status_line.as_bytes())));
    }
    let status: u16 = code
        .parse()
        .map_err(|_| format!("bad status line {}", net::excerpt(status_line.as_bytes())))?;
    let mut chunked = false;
    let mut length = None;
    for line in lines {
        if let Some((name, value)) = line.split_once(':') {
            let value = value.trim();
            if name.eq_ignore_ascii_case("transfer-encoding")
                && value.eq_ignore_ascii_case("chunked")
            {
                chunked = true;
            } else if name.eq_ignore_ascii_case("content-length") {
                length = value.parse::<usize>().ok();
            }
        }
    }
    let body = if chunked {
        dechunk(body)?
    } else if let Some(n) = length {
        body.get(..n)
            .ok_or("the body is shorter than its content-length")?
            .to_vec()
    } else {
        body.to_vec()
    };
    Ok(Response { status, body })
}

fn dechunk(mut data: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    loop {
        let line_end = data
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or("truncated chunked body")?;
        let size_text =
            String::from_utf8_lossy(data.get(..line_end).unwrap_or_default()).into_owned();
        let size_text = size_text.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_text, 16).map_err(|_| "bad chunk size".to_owned())?;
        let start = line_end + 2;
        if size == 0 {
            return Ok(out);
        }
        out.extend_from_slice(data.get(start..start + size).ok_or("truncated chunk")?);
        data = data.get(start + size + 2..).ok_or("truncated chunk")?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_length_chunked_and_garbage() {
        let r = parse_response(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}extra").unwrap();
        assert_eq!((r.status, r.body.as_slice()), (200, b"{}".as_slice()));
        let r = parse_response(
            b"HTTP/1.1 503 x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n1\r\nd\r\n0\r\n\r\n",
        )
        .unwrap();
        assert_eq!((r.status, r.body.as_slice()), (503, b"abcd".as_slice()));
        assert!(parse_response(b"-ERR wrong number of arguments\r\n").is_err());
        assert!(parse_response(b"").is_err());
    }

    #[test]
    fn vault_sealed_is_unhealthy_and_standby_is_fine() {
        let body =
            br#"{"initialized":true,"sealed":true,"standby":true,"version":"2.1.0"}"#.to_vec();
        let o = vault(&Response { status: 503, body }, "v:8200").unwrap();
        assert_eq!(o.error.unwrap().kind, FailureKind::Unhealthy);
        let body =
            br#"{"initialized":true,"sealed":false,"standby":true,"version":"2.1.0"}"#.to_vec();
        let o = vault(&Response { status: 429, body }, "v:8200").unwrap();
        assert!(o.error.is_none());
        assert_eq!(o.version.as_deref(), Some("2.1.0"));
        assert_eq!(o.details["standby"], Value::Bool(true));
    }

    #[test]
    fn ragflow_statuses() {
        let ok =
            br#"{"db":"ok","redis":"ok","doc_engine":"ok","storage":"ok","status":"ok"}"#.to_vec();
        assert!(ragflow(
            &Response {
                status: 200,
                body: ok
            },
            "r",
            "/h"
        )
        .unwrap()
        .error
        .is_none());
        let bad = br#"{"db":"nok","redis":"ok","status":"nok"}"#.to_vec();
        let e = ragflow(
            &Response {
                status: 500,
                body: bad,
            },
            "r",
            "/h",
        )
        .unwrap()
        .error
        .unwrap();
        assert_eq!(e.kind, FailureKind::Unhealthy);
        assert!(e.message.contains("db=nok"), "{}", e.message);
        let e = ragflow(
            &Response {
                status: 404,
                body: vec![],
            },
            "r",
            "/h",
        )
        .unwrap()
        .error
        .unwrap();
        assert_eq!(e.kind, FailureKind::HttpStatus);
    }
}
