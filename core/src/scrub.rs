//! Removes every form of a secret from text a server sent: a Vault error body, a database's
//! error message, a banner. A server can echo what it was sent (the token, the password, a
//! `user:password` pair in base64), so masking only the raw text is not enough.
//!
//! Forms removed, for each secret of at least [`MIN_SECRET`] bytes: the raw text; its JSON
//! string escaping; its percent-encoding (upper- and lower-case hex, `%20` or `+` for a
//! space, `-._~` kept or encoded); its lower- and upper-case hex; and its base64 (standard and URL-safe alphabets) at
//! each of the three byte alignments it can have inside a longer encoded text (`user:secret`
//! encoded whole), less the characters its neighbours share.

use crate::MASK;

/// Shorter secrets are not searched for: they would mangle every message and are no secret
/// worth the name.
pub const MIN_SECRET: usize = 4;

/// `text` with every form of each secret replaced by `********`.
pub fn scrub<S: AsRef<str>>(text: &str, secrets: &[S]) -> String {
    let mut out = text.to_owned();
    for secret in secrets {
        let secret = secret.as_ref();
        if secret.len() < MIN_SECRET {
            continue;
        }
        for form in forms(secret) {
            if form.len() >= MIN_SECRET {
                out = out.replace(form.as_str(), MASK);
            }
        }
    }
    out
}

/// The forms of `secret` a server might send back, by family from the longest to the shortest
/// (percent-encoded up to 3 bytes a byte, hex 2, base64 4/3, JSON-escaped and raw about 1), so a
/// longer form is masked whole before a shorter one inside it.
fn forms(secret: &str) -> Vec<String> {
    let bytes = secret.as_bytes();
    let mut forms = Vec::new();
    for upper in [true, false] {
        for plus in [false, true] {
            for all in [false, true] {
                forms.push(percent(bytes, upper, plus, all));
            }
        }
    }
    for upper in [true, false] {
        forms.push(hex(bytes, upper));
    }
    for alphabet in [STANDARD, URL_SAFE] {
        for offset in 0..3 {
            forms.push(base64_core(bytes, offset, alphabet));
        }
    }
    let json = crate::resolution::json_text(&serde_json::Value::from(secret));
    forms.push(json.trim_matches('"').to_owned());
    forms.push(secret.to_owned());
    forms
}

/// Every byte outside RFC 3986's unreserved set as `%XX` (`all`: every byte but letters and
/// digits, as some encoders do).
fn percent(bytes: &[u8], upper: bool, plus_for_space: bool, all: bool) -> String {
    let mut out = String::with_capacity(bytes.len() * 3);
    for &b in bytes {
        if b.is_ascii_alphanumeric() || (!all && matches!(b, b'-' | b'.' | b'_' | b'~')) {
            out.push(char::from(b));
        } else if b == b' ' && plus_for_space {
            out.push('+');
        } else {
            out.push('%');
            out.push_str(&hex(&[b], upper));
        }
    }
    out
}

fn hex(bytes: &[u8], upper: bool) -> String {
    let digits: &[u8; 16] = if upper {
        b"0123456789ABCDEF"
    } else {
        b"0123456789abcdef"
    };
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        for nibble in [b >> 4, b & 15] {
            out.extend(digits.get(usize::from(nibble)).map(|&d| char::from(d)));
        }
    }
    out
}

const STANDARD: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const URL_SAFE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// The base64 characters that depend only on `bytes` when they follow `offset` (0-2) other
/// bytes in an encoded text and are followed by anything.
fn base64_core(bytes: &[u8], offset: usize, alphabet: &[u8; 64]) -> String {
    let mut padded = vec![0u8; offset];
    padded.extend_from_slice(bytes);
    // Bit positions: the secret spans [8 * offset, 8 * (offset + len)).
    let first = (8 * offset).div_ceil(6);
    let last = (8 * (offset + bytes.len())) / 6;
    let mut out = String::new();
    for index in first..last {
        let bit = index * 6;
        let (byte, shift) = (bit / 8, bit % 8);
        let hi = u16::from(padded.get(byte).copied().unwrap_or(0));
        let lo = u16::from(padded.get(byte + 1).copied().unwrap_or(0));
        let word = (hi << 8) | lo;
        let sextet = (word >> (10 - shift)) & 63;
        out.extend(alphabet.get(usize::from(sextet)).map(|&c| char::from(c)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;

    /// A real encoding, unpadded (the module only needs the cores).
    fn b64(bytes: &[u8]) -> String {
        base64::engine::general_purpose::STANDARD_NO_PAD.encode(bytes)
    }

    #[test]
    fn every_form_of_the_secret_is_masked() {
        let secret = "s3cr/t p@ss+é";
        let echoed = [
            secret.to_owned(),
            "s3cr%2Ft%20p%40ss%2B%C3%A9".to_owned(),
            "s3cr%2ft+p%40ss%2b%c3%a9".to_owned(),
            hex(secret.as_bytes(), false),
            b64(secret.as_bytes()),
            b64(format!("user:{secret}").as_bytes()),
            b64(format!("ab:{secret}").as_bytes()),
            b64(format!("a:{secret}").as_bytes()),
            serde_json::to_string(secret).unwrap(),
        ];
        for text in echoed {
            let message = format!("server said: {text} (end)");
            let scrubbed = scrub(&message, &[secret]);
            assert!(scrubbed.contains(MASK), "{message} -> {scrubbed}");
            for form in forms(secret) {
                assert!(!scrubbed.contains(&form), "{message} -> {scrubbed}");
            }
            assert!(scrubbed.starts_with("server said: ") && scrubbed.ends_with(" (end)"));
        }
    }

    #[test]
    fn base64_cores_match_a_real_encoding_at_every_offset() {
        let secret = b"hvs.CAESIJ-token-value";
        for prefix in ["", "x", "xy", "xyz", "Bearer:"] {
            let mut whole = prefix.as_bytes().to_vec();
            whole.extend_from_slice(secret);
            let encoded = b64(&whole);
            let found = (0..3).any(|o| encoded.contains(&base64_core(secret, o, STANDARD)));
            assert!(found, "{prefix:?}: {encoded}");
        }
    }

    #[test]
    fn short_secrets_and_other_text_are_left_alone() {
        assert_eq!(scrub("a b c", &["b"]), "a b c");
        assert_eq!(scrub("nothing here", &["password1"]), "nothing here");
    }
}
