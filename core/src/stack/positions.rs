//! Where each key of a stack file is written: a one-pass position index over the text.
//!
//! A hand-written scanner kept for the WASM budget (issue 12: "a kept one lives in a leaf
//! module with its cost written beside it"). `basic-toml` keeps no positions. `toml` 1.x's
//! `DeTable` (keys and values with byte spans) in place of `basic-toml` and this scanner was
//! built and measured in the real module (BENCHMARKS.md, "The resolver as data (issue 12)"):
//! +17.8 KB raw and +5.8 KB gzip with its `preserve_order` map (+23.0 KB / +7.5 KB with the
//! default `BTreeMap`), 5.3 KB over the module's 120 KiB gzip budget, though `Stack::parse`
//! was 3-7x faster with it (the branch `toml-detable`). This scanner costs about 3.8 KB raw
//! of the module (`Positions::new` with `inline_keys`, inlined, 2.4 KB; `dotted_key` 0.8 KB).

use serde_json::{Map, Value};

/// Where a key is written in a TOML text: 1-based (line, column) of the key and of its value.
/// For a table defined by a header (`[aliases.default]`) both are the header's `[`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Located {
    pub(crate) key: (usize, usize),
    pub(crate) value: (usize, usize),
}

/// How deep the position index goes: a stack file's keys are at most three levels deep
/// (`aliases.<name>.database`); one more for a misplaced table inside them.
const INDEXED_DEPTH: usize = 4;

/// Where every key of a TOML text is written, found in one pass over its lines (linear in
/// the text: a scan per key was quadratic, 22 s for 4,000 aliases written as dotted keys).
/// A key is found as `key = ...` under a `[table]` header, as a dotted key (`table.key = ...`,
/// `key.sub = ...`, which defines `key` too), as a header `[table.key]`, or inside an inline
/// table on one line (`table = { key = ... }`). The first definition wins (TOML forbids a
/// second one). A line scanner, not a parser: the text has already been parsed by
/// `basic-toml`, which keeps no positions.
///
pub(crate) struct Positions {
    /// Dotted path (parts joined by `\u{1f}`) -> where it is written, packed in two numbers
    /// ([`pack`]). A `serde_json::Map`: the module already carries its code, where a
    /// `BTreeMap<String, Located>` of its own cost about 1 KB of the WASM module's gzip.
    found: Map<String, Value>,
}

/// `(line, column)` as one number (`line << 32 | column`), for [`Positions`].
fn pack((line, column): (usize, usize)) -> Value {
    Value::from(((line as u64) << 32) | (column as u64 & 0xFFFF_FFFF))
}

fn unpack(value: Option<&Value>) -> Option<(usize, usize)> {
    let n = value?.as_u64()?;
    Some((
        usize::try_from(n >> 32).ok()?,
        usize::try_from(n & 0xFFFF_FFFF).ok()?,
    ))
}

impl Positions {
    pub(crate) fn new(text: &str) -> Positions {
        let mut found = Map::new();
        let mut note = |path: &[String], at: Located| {
            let key = path.join("\u{1f}");
            if path.len() <= INDEXED_DEPTH && !found.contains_key(&key) {
                found.insert(key, Value::Array(vec![pack(at.key), pack(at.value)]));
            }
        };
        let mut header: Vec<String> = Vec::new();
        // Inside a multi-line string: the quote of its closing delimiter (`"""` or `'''`).
        let mut open_string: Option<char> = None;
        for (index, line) in text.split('\n').enumerate() {
            let line_no = index + 1;
            if let Some(quote) = open_string {
                if triple_quotes(line, quote) % 2 == 1 {
                    open_string = None;
                }
                continue;
            }
            let body = line.trim_start();
            let indent = line.len() - body.len();
            if body.is_empty() || body.starts_with('#') {
                continue;
            }
            let start = (line_no, column(line, indent));
            if let Some(rest) = body.strip_prefix('[') {
                let rest = rest.strip_prefix('[').unwrap_or(rest);
                if let Some((keys, _)) = dotted_key(rest) {
                    header = keys;
                    for depth in 1..=header.len().min(INDEXED_DEPTH) {
                        note(
                            header.get(..depth).unwrap_or_default(),
                            Located {
                                key: start,
                                value: start,
                            },
                        );
                    }
                }
                continue;
            }
            let Some((keys, after_key)) = dotted_key(body) else {
                continue;
            };
            let Some(value) = body
                .get(after_key..)
                .and_then(|r| r.trim_start().strip_prefix('='))
            else {
                continue;
            };
            let value_offset = line.len() - value.trim_start().len();
            let mut path = header.clone();
            for key in keys {
                path.push(key);
                if path.len() > INDEXED_DEPTH {
                    break;
                }
            }
            // The tables a dotted key defines, then the key itself.
            for depth in 1..path.len() {
                note(
                    path.get(..depth).unwrap_or_default(),
                    Located {
                        key: start,
                        value: start,
                    },
                );
            }
            note(
                &path,
                Located {
                    key: start,
                    value: (line_no, column(line, value_offset)),
                },
            );
            if value.trim_start().starts_with('{') {
                inline_keys(line, line_no, value_offset, &path, &mut note);
            }
            for quote in ['"', '\''] {
                if triple_quotes(value, quote) % 2 == 1 {
                    open_string = Some(quote);
                }
            }
        }
        Positions { found }
    }

    /// Where `key` of the table `table` (its dotted path, `[]` for the root) is written.
    pub(crate) fn get(&self, table: &[&str], key: &str) -> Option<Located> {
        let mut path = table.join("\u{1f}");
        if !table.is_empty() {
            path.push('\u{1f}');
        }
        path.push_str(key);
        let at = self.found.get(&path)?.as_array()?;
        Some(Located {
            key: unpack(at.first())?,
            value: unpack(at.get(1))?,
        })
    }
}

/// The keys of the inline table that starts at byte `from` of `line` (and of the inline
/// tables in it), under `path`; `{` and `,` inside strings and arrays do not count.
fn inline_keys(
    line: &str,
    line_no: usize,
    from: usize,
    path: &[String],
    note: &mut impl FnMut(&[String], Located),
) {
    let bytes = line.as_bytes();
    // The path of each open inline table; the key last assigned at each level.
    let mut tables: Vec<Vec<String>> = Vec::new();
    let mut last_key: Vec<String> = path.to_vec();
    let mut arrays = 0usize;
    let mut i = from;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'"' | b'\'' => {
                // To the closing quote (a basic string's backslash escapes the next byte).
                i += 1;
                while let Some(&c) = bytes.get(i) {
                    if c == b'\\' && b == b'"' {
                        i += 1;
                    } else if c == b {
                        break;
                    }
                    i += 1;
                }
            }
            b'[' => arrays += 1,
            b']' => arrays = arrays.saturating_sub(1),
            b'}' if arrays == 0 => {
                tables.pop();
                if tables.is_empty() {
                    return;
                }
            }
            b'{' | b',' if arrays == 0 => {
                if b == b'{' {
                    tables.push(last_key.clone());
                }
                let Some(table) = tables.last() else {
                    return;
                };
                let after = line.get(i + 1..).unwrap_or_default();
                let key_at = i + 1 + (after.len() - after.trim_start().len());
                if let Some((keys, len)) = line.get(key_at..).and_then(dotted_key) {
                    if let Some(value) = line
                        .get(key_at + len..)
                        .and_then(|r| r.trim_start().strip_prefix('='))
                    {
                        let value_at = line.len() - value.trim_start().len();
                        let mut full = table.clone();
                        full.extend(keys);
                        if full.len() <= INDEXED_DEPTH {
                            note(
                                &full,
                                Located {
                                    key: (line_no, column(line, key_at)),
                                    value: (line_no, column(line, value_at)),
                                },
                            );
                        }
                        last_key = full;
                    }
                }
            }
            _ => {}
        }
        i += 1;
    }
}

/// 1-based column (in characters) of a byte offset in a line.
fn column(line: &str, offset: usize) -> usize {
    line.get(..offset)
        .map_or(0, |before| before.chars().count())
        + 1
}

/// A dotted key at the start of `text` (`a.b`, `"quoted key".c`, `'literal'`): its parts
/// and the byte offset just after it.
fn dotted_key(text: &str) -> Option<(Vec<String>, usize)> {
    let mut keys = Vec::new();
    let mut pos = 0;
    loop {
        let rest = text.get(pos..)?;
        pos += rest.len() - rest.trim_start().len();
        let rest = text.get(pos..)?;
        let (part, len) = simple_key(rest)?;
        keys.push(part);
        pos += len;
        let rest = text.get(pos..)?;
        let trimmed = rest.trim_start();
        match trimmed.strip_prefix('.') {
            Some(_) => pos += rest.len() - trimmed.len() + 1,
            None => return Some((keys, pos)),
        }
    }
}

/// One key: bare (`[A-Za-z0-9_-]+`), "basic" (with `\"` and `\\` escapes) or 'literal';
/// its text and its length in bytes.
fn simple_key(text: &str) -> Option<(String, usize)> {
    let mut chars = text.char_indices();
    match chars.next()? {
        (_, quote @ ('"' | '\'')) => {
            let mut key = String::new();
            let mut escaped = false;
            for (i, c) in chars {
                if escaped {
                    key.push(c);
                    escaped = false;
                } else if c == '\\' && quote == '"' {
                    escaped = true;
                } else if c == quote {
                    return Some((key, i + 1));
                } else {
                    key.push(c);
                }
            }
            None
        }
        _ => {
            let len = text
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
                .unwrap_or(text.len());
            (len > 0).then(|| (text.get(..len).unwrap_or_default().to_owned(), len))
        }
    }
}

/// How many `"""` (or `'''`) `text` holds, counted as `str::matches` counts them (left to right,
/// not overlapping): a run of n quote characters holds n / 3. Not `matches`: a substring pattern
/// links std's two-way searcher into the WASM module for this one use (BENCHMARKS.md, "WASM
/// size steps").
fn triple_quotes(text: &str, quote: char) -> usize {
    text.split(|c| c != quote).map(|run| run.len() / 3).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn triple_quotes_counts_as_matches_does() {
        for text in [
            "",
            "\"",
            "\"\"",
            "\"\"\"",
            "\"\"\"\"",
            "\"\"\"\"\"\"",
            "\"\"\"\"\"\"\"",
            "a = \"\"\"x",
            "x\"\"\" y \"\"\"z\"\"",
            "\'\'\' \"\"\" \'\'\'\'",
            "é\"\"\"é",
        ] {
            for (quote, delim) in [('"', "\"\"\""), ('\'', "\'\'\'")] {
                assert_eq!(
                    triple_quotes(text, quote),
                    text.matches(delim).count(),
                    "{text}"
                );
            }
        }
    }

    fn at(key: (usize, usize), value: (usize, usize)) -> Option<Located> {
        Some(Located { key, value })
    }

    #[test]
    fn locate_key_under_a_header() {
        let text = "# c\n[aliases.default]\n  service =  \"supabase\"\ndatabase='x'\n";
        assert_eq!(
            Positions::new(text).get(&["aliases", "default"], "service"),
            at((3, 3), (3, 14))
        );
        assert_eq!(
            Positions::new(text).get(&["aliases", "default"], "database"),
            at((4, 1), (4, 10))
        );
        assert_eq!(
            Positions::new(text).get(&["aliases"], "default"),
            at((2, 1), (2, 1))
        );
        assert_eq!(
            Positions::new(text).get(&["aliases", "default"], "url_env"),
            None
        );
        assert_eq!(
            Positions::new(text).get(&["aliases", "other"], "service"),
            None
        );
    }

    #[test]
    fn locate_key_quoted_dotted_and_inline() {
        let text = "[aliases.\"bad-name\"]\nservice = \"x\"\n[routes]\napp.write = \"w\"\nr = { read = \"a\", write = \"b\" }\n";
        assert_eq!(
            Positions::new(text).get(&["aliases"], "bad-name"),
            at((1, 1), (1, 1))
        );
        assert_eq!(
            Positions::new(text).get(&["routes"], "app"),
            at((4, 1), (4, 1))
        );
        assert_eq!(
            Positions::new(text).get(&["routes", "app"], "write"),
            at((4, 1), (4, 13))
        );
        assert_eq!(
            Positions::new(text).get(&["routes"], "r"),
            at((5, 1), (5, 5))
        );
        assert_eq!(
            Positions::new(text).get(&["routes", "r"], "write"),
            at((5, 19), (5, 27))
        );
        let text = "aliases.default.service = \"s\"\n";
        assert_eq!(
            Positions::new(text).get(&["aliases", "default"], "service"),
            at((1, 1), (1, 27))
        );
    }

    #[test]
    fn locate_key_counts_characters_and_skips_multiline_strings() {
        let text = "[a]\nx = \"\"\"\n[b]\ny = 1\n\"\"\"\n[b]\ny = \"é\" # é\nz = 2\n";
        assert_eq!(Positions::new(text).get(&["b"], "y"), at((7, 1), (7, 5)));
        assert_eq!(Positions::new(text).get(&["b"], "z"), at((8, 1), (8, 5)));
    }

    #[test]
    fn inline_tables_nested_and_with_arrays_are_located() {
        let text = "[routes]\nr = { read = \"a\", x = [1, {write = 2}], write = { deep = 1 } }\n";
        let positions = Positions::new(text);
        assert_eq!(
            positions.get(&["routes", "r"], "read").map(|l| l.value),
            Some((2, 14))
        );
        // `write` inside the array is not `r.write`; the table after it is.
        assert_eq!(
            positions.get(&["routes", "r"], "write").map(|l| l.key),
            Some((2, 41))
        );
        assert_eq!(
            positions
                .get(&["routes", "r", "write"], "deep")
                .map(|l| l.key),
            Some((2, 51))
        );
    }
}
