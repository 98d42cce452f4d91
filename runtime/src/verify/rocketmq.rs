//! RocketMQ name server: one remoting request, GET_BROKER_CLUSTER_INFO (code 106), expecting
//! response code 0.
//!
//! Hand-written frame: the request is 60 bytes and the answer's header is JSON (or the
//! compact ROCKETMQ encoding, whose first field is the code too); no Rust client crate is
//! worth a dependency for that.
//!
//! Frame: 4-byte big-endian length of everything after it; 4 bytes whose high byte is the
//! serialization type (0 JSON, 1 ROCKETMQ) and low 3 bytes the header length; header; body.

use serde_json::{json, Map, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::net;
use super::targets::address;
use super::{CheckError, FailureKind, Outcome};

/// GET_BROKER_CLUSTER_INFO.
pub(crate) const GET_BROKER_CLUSTER_INFO: i64 = 106;
/// The largest answer frame read: 4 MiB (an empty cluster's answer is under 100 bytes; a
/// cluster of a thousand brokers about 200 KB).
const MAX_FRAME: usize = 4 * 1024 * 1024;
const OPAQUE: i64 = 7;

pub(crate) fn request_frame(code: i64, opaque: i64) -> Vec<u8> {
    let header = json!({
        "code": code,
        "language": "OTHER",
        "version": 0,
        "opaque": opaque,
        "flag": 0,
        "extFields": {},
        "serializeTypeCurrentRPC": "JSON",
    })
    .to_string()
    .into_bytes();
    let header_len = u32::try_from(header.len()).unwrap_or(u32::MAX) & 0x00FF_FFFF;
    let mut frame = Vec::with_capacity(8 + header.len());
    frame.extend_from_slice(&(4 + header_len).to_be_bytes());
    frame.extend_from_slice(&header_len.to_be_bytes());
    frame.extend_from_slice(&header);
    frame
}

/// The response header's code, version and opaque, and the body.
#[derive(Debug, PartialEq)]
pub(crate) struct Answer {
    code: i64,
    version: Option<i64>,
    opaque: Option<i64>,
    response: bool,
    remark: Option<String>,
    body: Vec<u8>,
}

fn be<const N: usize>(bytes: &[u8], at: usize) -> Result<[u8; N], String> {
    bytes
        .get(at..at + N)
        .and_then(|b| <[u8; N]>::try_from(b).ok())
        .ok_or_else(|| "the frame is truncated".to_owned())
}

pub(crate) fn parse_frame(frame: &[u8]) -> Result<Answer, String> {
    let mark = u32::from_be_bytes(be::<4>(frame, 0)?);
    let serialize = mark >> 24;
    let header_len = usize::try_from(mark & 0x00FF_FFFF).unwrap_or(usize::MAX);
    let header = frame
        .get(4..4usize.saturating_add(header_len))
        .ok_or("the header is longer than the frame")?;
    let body = frame.get(4 + header_len..).unwrap_or_default().to_vec();
    match serialize {
        0 => {
            let h: Map<String, Value> = serde_json::from_slice(header)
                .map_err(|e| format!("the header is not JSON: {e}"))?;
            let int = |key: &str| h.get(key).and_then(Value::as_i64);
            Ok(Answer {
                code: int("code").ok_or("the header has no code")?,
                version: int("version"),
                opaque: int("opaque"),
                response: int("flag").is_some_and(|f| f & 1 == 1),
                remark: h.get("remark").and_then(Value::as_str).map(str::to_owned),
                body,
            })
        }
        1 => {
            // code i16, language u8, version i16, opaque i32, flag i32, ...
            let code = i16::from_be_bytes(be::<2>(header, 0)?);
            let version = i16::from_be_bytes(be::<2>(header, 3)?);
            let opaque = i32::from_be_bytes(be::<4>(header, 5)?);
            let flag = i32::from_be_bytes(be::<4>(header, 9)?);
            Ok(Answer {
                code: i64::from(code),
                version: Some(i64::from(version)),
                opaque: Some(i64::from(opaque)),
                response: flag & 1 == 1,
                remark: None,
                body,
            })
        }
        other => Err(format!("unknown serialization type {other}")),
    }
}

pub(crate) async fn probe(host: &str, port: u16) -> Result<Outcome, CheckError> {
    let target = address(host, port);
    let mut stream = net::connect(host, port).await?;
    stream
        .write_all(&request_frame(GET_BROKER_CLUSTER_INFO, OPAQUE))
        .await
        .map_err(|e| net::io_error(&e, &format!("send to {target}")))?;
    let wrong = |why: String| {
        CheckError::new(
            FailureKind::WrongProtocol,
            format!("{target} does not speak RocketMQ remoting: {why}"),
        )
    };
    let announced = stream
        .read_u32()
        .await
        .map_err(|e| net::io_error(&e, &format!("read from {target}")))?;
    let len = usize::try_from(announced).unwrap_or(usize::MAX);
    if !(4..=MAX_FRAME).contains(&len) {
        let shown = net::excerpt(&announced.to_be_bytes());
        return Err(wrong(format!("it sent {shown}")));
    }
    // Read what arrives, not what the prefix promises: a peer that announces 16 MiB and sends
    // nothing costs no memory.
    let mut frame = Vec::new();
    (&mut stream)
        .take(len as u64)
        .read_to_end(&mut frame)
        .await
        .map_err(|e| net::io_error(&e, &format!("read from {target}")))?;
    if frame.len() < len {
        return Err(wrong(format!(
            "the connection closed after {} of the {len} bytes the frame announced",
            frame.len()
        )));
    }
    let answer = parse_frame(&frame).map_err(wrong)?;
    if !answer.response || answer.opaque.is_some_and(|o| o != OPAQUE) {
        return Err(wrong(
            "the answer is not a response to the request".to_owned(),
        ));
    }
    let mut details = Map::new();
    if let Ok(Value::Object(body)) = serde_json::from_slice::<Value>(&answer.body) {
        for (table, name) in [
            ("brokerAddrTable", "brokers"),
            ("clusterAddrTable", "clusters"),
        ] {
            if let Some(Value::Object(entries)) = body.get(table) {
                details.insert(name.to_owned(), Value::from(entries.len()));
            }
        }
    }
    let error = (answer.code != 0).then(|| {
        CheckError::new(
            FailureKind::ServerError,
            format!(
                "{target} answered GET_BROKER_CLUSTER_INFO with code {}{}",
                answer.code,
                answer.remark.map(|r| format!(": {r}")).unwrap_or_default()
            ),
        )
    });
    Ok(Outcome {
        version: answer.version.map(|v| format!("remoting v{v}")),
        details,
        error,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_frame_layout() {
        let f = request_frame(106, 7);
        let total = u32::from_be_bytes([f[0], f[1], f[2], f[3]]) as usize;
        assert_eq!(total, f.len() - 4);
        assert_eq!(f[4], 0, "JSON serialization");
        let header_len = u32::from_be_bytes([0, f[5], f[6], f[7]]) as usize;
        assert_eq!(header_len, f.len() - 8);
        let h: Value = serde_json::from_slice(&f[8..]).unwrap();
        assert_eq!(
            (h["code"].as_i64(), h["opaque"].as_i64(), h["flag"].as_i64()),
            (Some(106), Some(7), Some(0))
        );
    }

    #[test]
    fn parses_a_json_response() {
        let header = br#"{"code":0,"flag":1,"opaque":7,"version":475,"language":"RUST"}"#;
        let mut frame = vec![0, 0, 0, u8::try_from(header.len()).unwrap()];
        frame.extend_from_slice(header);
        frame.extend_from_slice(br#"{"brokerAddrTable":{},"clusterAddrTable":{}}"#);
        let a = parse_frame(&frame).unwrap();
        assert_eq!(
            (a.code, a.version, a.opaque, a.response),
            (0, Some(475), Some(7), true)
        );
        assert!(parse_frame(&[9, 0, 0, 0]).is_err());
    }
}
