#!/usr/bin/env python3
"""Differential fuzzing of DATABASE_URL parsing: dbstack against dj-database-url (issue 15).

    $DBSTACK_VENV/bin/python fuzz/differential/database_url.py [libFuzzer flags] CORPUS_DIR...

atheris (libFuzzer for Python, coverage-guided on the Python side: dj-database-url and
`urllib.parse` are instrumented) feeds the same text to `dj_database_url.parse` and to
dbstack's Python binding (`dbstack._native.resolve` with `DATABASE_URL` set, offline,
revealed: the binding has no `parse_database_url` of its own, DATABASES["default"] of a
resolution is what it exposes). Both must accept with the same dict (on the keys
dj-database-url returns) or both reject; anything else raises, which atheris reports as a
crash with the input in `-artifact_prefix`. `scripts/fuzz.sh database_url_differential` runs
it with the project's settings, seeded from tests/url and tests/vectors.

Accepted differences are exactly the documented ones (core/src/url.rs, "Deliberate
differences"), matched by dbstack's error kind, never by message text alone:
  * dbstack rejects with one of DELIBERATE_REJECTIONS where dj-database-url accepts;
  * none for schemes: dbstack has all of dj-database-url's (DBSTACK_DIFF_UNKNOWN_SCHEMES=expected
    counts an unknown scheme instead of failing, for a binding built before they landed);
  * `sqlite://:memory:` (the full dict), query values made of non-ASCII digits or too large
    for a u64, and non-ASCII hosts (no NFKC check) may differ in value.
The Rust side is not instrumented (the binding is an ordinary build): its coverage is
fuzzed by the `database_url` cargo-fuzz target; this target finds the differences.
"""

import json
import os
import sys

import atheris

import inspect
import urllib.parse

with atheris.instrument_imports():
    import dj_database_url

# urllib.parse is imported before any instrumentation can see it: its functions (urlsplit and
# the properties dj-database-url reads, unquote, parse_qs) are instrumented in place.
for _module in (urllib.parse,):
    for _value in list(vars(_module).values()):
        if inspect.isfunction(_value) and _value.__module__ == _module.__name__:
            atheris.instrument_func(_value)
    for _cls in (urllib.parse._NetlocResultMixinBase, urllib.parse._NetlocResultMixinStr):
        for _value in list(vars(_cls).values()):
            if isinstance(_value, property) and _value.fget is not None:
                atheris.instrument_func(_value.fget)

from dbstack import _native  # type: ignore[attr-defined]

# dbstack's documented, deliberate rejections of URLs Python accepts: its error kind
# (UrlError::kind) and the text of its message, which is all a resolution error carries
# (kind `invalid_url`, the message naming the variable).
DELIBERATE_REJECTIONS = {
    "invalid_percent_encoding": "malformed percent-encoding",  # `%zz`: Python passes it through
    "invalid_utf8": "percent-decodes to invalid UTF-8",  # Python substitutes U+FFFD
    "port_zero": "the port is 0",  # Python gives PORT "" (the default port)
    "password_in_name": "holds a raw `@`",  # an unencoded password in NAME
    "invalid_sslmode": "`sslmode` is not a libpq mode",  # like SUPABASE_DB_SSLMODE
    "repeated_option": "is given more than once",  # a repeated currentSchema
}
# dbstack has every scheme dj-database-url registers (issue 14, `schemes`): an unknown scheme
# where Python accepts is a difference. DBSTACK_DIFF_UNKNOWN_SCHEMES=expected counts it instead
# (for a binding built before that change).
UNKNOWN_SCHEMES_ARE_EXPECTED = os.environ.get("DBSTACK_DIFF_UNKNOWN_SCHEMES", "difference") == "expected"


class Difference(Exception):
    """dbstack and dj-database-url disagree on a URL."""


def dbstack_parse(url):
    """(dict, None) or (None, error) for DATABASE_URL=url."""
    call = {"env": {"DATABASE_URL": url, "DBSTACK_PROFILE": "development"}, "reveal": True}
    answer = json.loads(_native.resolve(json.dumps(call)))
    if not answer.get("ok"):
        return None, answer["error"]
    resolution = answer["resolution"]
    source = resolution["provenance"]["django.DATABASES.default.ENGINE"]["source"]
    if source.get("name") != "DATABASE_URL":
        # An empty variable is unset (the resolver's rule, not the URL parser's): the default
        # database then comes from elsewhere. Only the empty string may do that.
        if url != "":
            raise Difference(f"{url!r}: dbstack did not read DATABASE_URL (ENGINE from {source})")
        return None, {"kind": "unset", "message": "an empty variable is unset"}
    return resolution["django"]["DATABASES"]["default"], None


def python_parse(url):
    try:
        return dj_database_url.parse(url), None
    except Exception as exc:  # noqa: BLE001  (any exception is a rejection)
        return None, type(exc).__name__


def differing_keys(ours, theirs):
    keys = []
    for key, value in theirs.items():
        if key == "OPTIONS":
            options = ours.get("OPTIONS", {})
            keys += [f"OPTIONS.{k}" for k, v in value.items() if options.get(k) != v]
        elif ours.get(key) != value:
            keys.append(key)
    return keys


def deliberate_rejection(error):
    """The kind of a documented rejection, or None."""
    if error.get("kind") != "invalid_url":
        return None
    message = error.get("message", "")
    return next((kind for kind, text in DELIBERATE_REJECTIONS.items() if text in message), None)


def same_or_kept_as_string(mine, python):
    """Equal, or a number dbstack keeps as a string: beyond u64, or non-ASCII digits."""
    if mine == python:
        return True
    return isinstance(python, int) and not isinstance(python, bool) and isinstance(mine, str) and (python >= 2**64 or not mine.isascii())


def value_difference_is_deliberate(url, keys, ours, theirs):
    """Only the documented value differences: numbers dbstack keeps as strings (non-ASCII digits,
    beyond u64), and a non-ASCII host (no NFKC check)."""
    for key in keys:
        if key.startswith("OPTIONS."):
            name = key[len("OPTIONS.") :]
            mine, python = ours.get("OPTIONS", {}).get(name), theirs["OPTIONS"][name]
            pairs = list(zip(mine, python)) if isinstance(mine, list) and isinstance(python, list) and len(mine) == len(python) else [(mine, python)]
            if not all(same_or_kept_as_string(m, p) for m, p in pairs):
                return False
        elif key == "HOST":
            if all(c.isascii() for c in urllib.parse.urlsplit(url).netloc):
                return False
        else:
            return False
    return True


def python_rejects_non_ascii_digits(url, python_error):
    """int() of a query value made of non-ASCII digits (`²`) raises in dj-database-url."""
    if python_error not in ("ValueError", "ParseError"):
        return False
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
    # Every value of a repeated key is cast, not only the last.
    return any(v.isdigit() and not v.isascii() for values in query.values() for v in values)


def compare(url):
    theirs, python_error = python_parse(url)
    ours, our_error = dbstack_parse(url)
    if python_error and our_error:
        return "both reject"
    if theirs is not None and ours is not None:
        keys = differing_keys(ours, theirs)
        if not keys:
            return "same"
        if value_difference_is_deliberate(url, keys, ours, theirs):
            return "deliberate value"
        raise Difference(f"{url!r}: {keys} differ: dj-database-url {theirs!r}, dbstack {ours!r}")
    if theirs is not None:
        message = our_error.get("message", "")
        if deliberate_rejection(our_error):
            return "deliberate rejection: " + deliberate_rejection(our_error)
        if "unknown scheme" in message and UNKNOWN_SCHEMES_ARE_EXPECTED:
            return "unknown scheme"
        raise Difference(f"{url!r}: dj-database-url accepts {theirs!r}, dbstack rejects {our_error!r}")
    if python_rejects_non_ascii_digits(url, python_error):
        return "deliberate value"
    raise Difference(f"{url!r}: dj-database-url rejects ({python_error}), dbstack accepts {ours!r}")


COUNTS = {}


def test_one_input(data):
    try:
        url = data.decode("utf-8")
    except UnicodeDecodeError:
        return
    outcome = compare(url)
    COUNTS[outcome] = COUNTS.get(outcome, 0) + 1


def main():
    atheris.Setup(sys.argv, test_one_input)
    try:
        atheris.Fuzz()
    finally:
        print(f"differential outcomes: {json.dumps(COUNTS, sort_keys=True)}", file=sys.stderr)


if __name__ == "__main__":
    main()
