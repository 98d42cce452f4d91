//! Dragonfly / Redis over RESP: AUTH, SELECT, PING → PONG and `INFO server`, pipelined in
//! one round trip, plain or TLS (`rediss://`).
//!
//! Hand-written rather than the `redis` crate: four commands and a reply parser are a few
//! dozen lines, the crate's tokio + rustls build would add a second connection stack, and
//! owning the bytes lets every failure be sorted precisely (WRONGPASS vs NOAUTH vs a peer
//! that is not speaking RESP at all).

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

use super::net::{self, Verify};
use super::targets::{address, RedisTarget};
use super::{CheckError, FailureKind, Outcome};

const MAX_LINE: usize = 64 * 1024;
const MAX_BULK: usize = 1024 * 1024;

/// One RESP reply (only the shapes these commands produce).
#[derive(Debug, PartialEq, Eq)]
enum Reply {
    Simple(String),
    Error(String),
    Integer(i64),
    Bulk(Option<Vec<u8>>),
    Array(usize),
}

fn command(parts: &[&str]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", parts.len()).into_bytes();
    for part in parts {
        out.extend_from_slice(format!("${}\r\n", part.len()).as_bytes());
        out.extend_from_slice(part.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out
}

pub(crate) async fn probe(t: &RedisTarget) -> Result<Outcome, CheckError> {
    let target = address(&t.host, t.port);
    let verify = if t.tls_verify {
        Verify::Full
    } else {
        Verify::Nothing
    };
    let tls = t.tls.then_some((verify, t.tls_ca.as_deref()));
    let mut stream = BufReader::new(net::connect_maybe_tls(&t.host, t.port, tls).await?);

    let db = t.db.to_string();
    let mut commands: Vec<Vec<&str>> = Vec::new();
    if !t.password.is_empty() {
        commands.push(match &t.username {
            Some(user) => vec!["AUTH", user, t.password.expose()],
            None => vec!["AUTH", t.password.expose()],
        });
    }
    if t.db != 0 {
        commands.push(vec!["SELECT", &db]);
    }
    commands.extend([vec!["PING"], vec!["INFO", "server"]]);
    let batch: Vec<u8> = commands.iter().flat_map(|c| command(c)).collect();
    stream
        .get_mut()
        .write_all(&batch)
        .await
        .map_err(|e| net::io_error(&e, &format!("send to {target}")))?;

    let mut version = None;
    for name in commands.iter().filter_map(|c| c.first().copied()) {
        let reply = read_reply(&mut stream, &target).await?;
        match (name, reply) {
            (_, Reply::Error(e)) => return Err(reply_error(name, &e, &target)),
            ("AUTH" | "SELECT", Reply::Simple(s)) if s == "OK" => {}
            ("PING", Reply::Simple(s)) if s == "PONG" => {}
            ("INFO", Reply::Bulk(Some(text))) => {
                version = info_version(&String::from_utf8_lossy(&text))
            }
            (_, other) => {
                return Err(CheckError::new(
                    FailureKind::WrongProtocol,
                    format!("{target} answered {name} with {}", describe(&other)),
                ))
            }
        }
    }
    let _ = stream.get_mut().shutdown().await;
    Ok(Outcome {
        version,
        ..Outcome::default()
    })
}

fn describe(reply: &Reply) -> String {
    match reply {
        Reply::Simple(s) => format!("`+{s}`"),
        Reply::Error(s) => format!("`-{s}`"),
        Reply::Integer(i) => format!("`:{i}`"),
        Reply::Bulk(_) => "a bulk string".to_owned(),
        Reply::Array(n) => format!("an array of {n}"),
    }
}

fn reply_error(command: &str, error: &str, target: &str) -> CheckError {
    let code = error.split_whitespace().next().unwrap_or("");
    let auth = matches!(code, "WRONGPASS" | "NOAUTH" | "NOPERM")
        || (command == "AUTH" && (error.contains("password") || error.contains("AUTH")));
    let kind = if auth {
        FailureKind::AuthFailed
    } else {
        FailureKind::ServerError
    };
    CheckError::new(kind, format!("{target} rejected {command}: {error}"))
}

/// `dragonfly_version` (Dragonfly), else `redis_version`.
fn info_version(text: &str) -> Option<String> {
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name))
            .map(|v| v.trim().to_owned())
    };
    field("dragonfly_version:")
        .map(|v| format!("dragonfly {v}"))
        .or_else(|| field("redis_version:").map(|v| format!("redis {v}")))
}

async fn read_reply<R: AsyncBufReadExt + Unpin>(
    r: &mut R,
    target: &str,
) -> Result<Reply, CheckError> {
    let wrong = |line: &[u8]| {
        CheckError::new(
            FailureKind::WrongProtocol,
            format!(
                "{target} does not speak RESP: it sent {}",
                net::excerpt(line)
            ),
        )
    };
    let mut line = Vec::new();
    let n = (&mut *r)
        .take(MAX_LINE as u64)
        .read_until(b'\n', &mut line)
        .await
        .map_err(|e| net::io_error(&e, &format!("read from {target}")))?;
    if n == 0 {
        return Err(CheckError::new(
            FailureKind::WrongProtocol,
            format!("{target} closed the connection before answering"),
        ));
    }
    let Some(line) = line.strip_suffix(b"\r\n") else {
        return Err(wrong(&line));
    };
    let (first, rest) = match line.split_first() {
        Some((f, rest)) => (*f, String::from_utf8_lossy(rest).into_owned()),
        None => return Err(wrong(line)),
    };
    match first {
        b'+' => Ok(Reply::Simple(rest)),
        b'-' => Ok(Reply::Error(rest)),
        b':' => rest.parse().map(Reply::Integer).map_err(|_| wrong(line)),
        b'*' => rest.parse().map(Reply::Array).map_err(|_| wrong(line)),
        b'$' => {
            let len: i64 = rest.parse().map_err(|_| wrong(line))?;
            if len < 0 {
                return Ok(Reply::Bulk(None));
            }
            let len = usize::try_from(len).map_err(|_| wrong(line))?;
            if len > MAX_BULK {
                return Err(wrong(line));
            }
            let mut data = vec![0; len + 2];
            r.read_exact(&mut data)
                .await
                .map_err(|e| net::io_error(&e, &format!("read from {target}")))?;
            data.truncate(len);
            Ok(Reply::Bulk(Some(data)))
        }
        _ => Err(wrong(line)),
    }
}

/// Reads replies from `raw` until one fails (the fuzz hook; no I/O but the slice).
#[cfg(fuzzing)]
pub(crate) fn fuzz_replies(raw: &[u8]) {
    static RUNTIME: std::sync::OnceLock<tokio::runtime::Runtime> = std::sync::OnceLock::new();
    let runtime = RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap_or_else(|_| std::process::abort())
    });
    runtime.block_on(async {
        let mut input = raw;
        let mut reader = BufReader::new(&mut input);
        while let Ok(reply) = read_reply(&mut reader, "t:1").await {
            let _ = describe(&reply);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_resp_arrays() {
        assert_eq!(
            command(&["AUTH", "u", "p w"]),
            b"*3\r\n$4\r\nAUTH\r\n$1\r\nu\r\n$3\r\np w\r\n"
        );
    }

    #[test]
    fn versions_prefer_dragonfly() {
        assert_eq!(
            info_version("# Server\r\nredis_version:7.0.15\r\n").as_deref(),
            Some("redis 7.0.15")
        );
        assert_eq!(
            info_version("redis_version:6.2.11\r\ndragonfly_version:df-v1.21.2\r\n").as_deref(),
            Some("dragonfly df-v1.21.2")
        );
    }

    #[tokio::test]
    async fn replies_parse_and_garbage_is_wrong_protocol() {
        let mut input: &[u8] = b"+OK\r\n-WRONGPASS invalid\r\n$3\r\nabc\r\n:5\r\n";
        let mut r = BufReader::new(&mut input);
        assert_eq!(
            read_reply(&mut r, "t").await.unwrap(),
            Reply::Simple("OK".into())
        );
        assert_eq!(
            read_reply(&mut r, "t").await.unwrap(),
            Reply::Error("WRONGPASS invalid".into())
        );
        assert_eq!(
            read_reply(&mut r, "t").await.unwrap(),
            Reply::Bulk(Some(b"abc".to_vec()))
        );
        assert_eq!(read_reply(&mut r, "t").await.unwrap(), Reply::Integer(5));
        let mut input: &[u8] = b"HTTP/1.0 400 Bad Request\r\n";
        let err = read_reply(&mut BufReader::new(&mut input), "t")
            .await
            .unwrap_err();
        assert_eq!(err.kind, FailureKind::WrongProtocol);
        assert_eq!(
            reply_error("AUTH", "WRONGPASS invalid username-password pair", "t").kind,
            FailureKind::AuthFailed
        );
        assert_eq!(
            reply_error("SELECT", "ERR DB index is out of range", "t").kind,
            FailureKind::ServerError
        );
    }
}
