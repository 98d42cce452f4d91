//! Size-tuned replacements for std code, kept because the WASM module's budget (300 KiB raw,
//! 120 KiB gzip -9, scripts/suites/wasm.sh) cannot pay for the std version. Each says what it
//! replaces and what the std version measured; nothing else in the crate hand-rolls these.

/// Sorts `items` by `key`, highest first, stably (among equal keys the earlier item stays
/// first). An insertion sort: the resolver sorts a handful of candidates per value. Measured
/// (issue 12): `slice::sort_by` (std's stable sort, instantiated for the candidates) costs
/// +3,664 B raw / +1,708 B gzip -9 in the module, more than the gzip budget has left.
pub(crate) fn sort_desc_by_key<T, K: Ord>(items: &mut [T], key: impl Fn(&T) -> K) {
    for i in 1..items.len() {
        let Some(k) = items.get(i).map(&key) else {
            break;
        };
        let at = items.iter().take(i).position(|c| key(c) < k);
        if let Some(moved) = at.and_then(|at| items.get_mut(at..=i)) {
            moved.rotate_right(1);
        }
    }
}

/// `str.lower()` for hosts, without the Unicode case tables (about 35 KB of the WASM module):
/// ASCII, Latin-1, Latin Extended-A, Greek and Cyrillic capitals; other characters stay as
/// written (Python lower-cases those too; no host in `tests/url/*.json` has one).
pub(crate) fn lower(text: &str) -> String {
    text.chars().map(lower_char).collect()
}

pub(crate) fn lower_char(c: char) -> char {
    let u = u32::from(c);
    let mapped = match u {
        0x41..=0x5A | 0xC0..=0xD6 | 0xD8..=0xDE | 0x391..=0x3A1 | 0x3A3..=0x3AB | 0x410..=0x42F => {
            u + 0x20
        }
        0x400..=0x40F => u + 0x50,
        0x100..=0x12F | 0x132..=0x137 | 0x14A..=0x177 if u % 2 == 0 => u + 1,
        0x139..=0x148 | 0x179..=0x17E if u % 2 == 1 => u + 1,
        0x178 => 0xFF,
        _ => u,
    };
    char::from_u32(mapped).unwrap_or(c)
}

/// `str.upper()` for option keys, the inverse of [`lower_char`] over the same ranges
/// (`ß`, `ŉ` and other characters without a one-character capital stay as written).
pub(crate) fn upper(text: &str) -> String {
    text.chars()
        .map(|c| {
            let u = u32::from(c);
            let mapped = match u {
                0x61..=0x7A
                | 0xE0..=0xF6
                | 0xF8..=0xFE
                | 0x3B1..=0x3C1
                | 0x3C3..=0x3CB
                | 0x430..=0x44F => u - 0x20,
                0x3C2 => 0x3A3,
                0x450..=0x45F => u - 0x50,
                0xB5 => 0x39C,
                0xFF => 0x178,
                0x101..=0x12F | 0x133..=0x137 | 0x14B..=0x177 if u % 2 == 1 => u - 1,
                0x13A..=0x148 | 0x17A..=0x17E if u % 2 == 0 => u - 1,
                0x131 => 0x49,
                0x17F => 0x53,
                _ => u,
            };
            char::from_u32(mapped).unwrap_or(c)
        })
        .collect()
}
