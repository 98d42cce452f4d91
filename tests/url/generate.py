#!/usr/bin/env python3
"""Writes the URL test vectors from the REAL Python libraries dbstack mimics.

    ~/.cache/dbstack-tools/venv/bin/python tests/url/generate.py

Outputs (read by core/tests/url_vectors.rs):
  database_urls.json  hand-picked URLs -> dj_database_url.parse(url) (or the exception)
  database_random.json  seeded random URLs from a grammar of awkward parts -> same
  cache_urls.json     hand-picked URLs -> environ.Env.cache_url_config(url, backend=RedisCache)

A case where dbstack deliberately differs carries a "rust" entry: either
{"error": "<UrlError::kind()>"} or {"expected": {...}} (what dbstack gives instead), plus
"why". Everything else must match Python exactly, key order included.
"""

import json
import pathlib
import random
import sys
import urllib.parse

import dj_database_url
import environ

HERE = pathlib.Path(__file__).resolve().parent
REDIS_CACHE = "django.core.cache.backends.redis.RedisCache"
# Every scheme dj-database-url registers; main() checks the list against the library, and
# database_urls.json records the library's table (core/tests/url_vectors.rs compares it with
# dbstack's, core/src/catalog.rs DATABASE_SCHEMES).
SUPPORTED = {"postgres", "postgresql", "pgsql", "postgis", "mysql", "mysql2", "mysqlgis", "sqlite",
             "spatialite", "mysql-connector", "oraclegis", "cockroach", "oracle", "mssqlms", "mssql",
             "redshift", "timescale", "timescalegis"}

PERCENT = "malformed percent-encoding is an error (Python passes it through)"
UTF8 = "percent-decoding to invalid UTF-8 is an error (Python substitutes U+FFFD)"
SCHEME = "a scheme dj-database-url does not register is an error in both"

DATABASE_CASES = [
    # (url, deviation or None)
    ("postgres://user:pass@host:5432/db", None),
    ("postgresql://user:pass@localhost/db", None),
    ("pgsql://u:p@h:5433/d", None),
    ("postgis://u:p@h/gis", None),
    ("mysql://root@127.0.0.1:3306/agent_runtime", None),
    ("mysql2://u:p@h/db", None),
    ("mysqlgis://u:p@h/db", None),
    ("sqlite://:memory:", "full"),
    ("sqlite://", None),
    ("sqlite:////abs/path.db", None),
    ("sqlite:///relative.db", None),
    ("postgres://%2Fvar%2Frun%2Fpostgresql/db", None),
    ("postgres://%2FVar%2FRun%2FPG/db", None),
    ("postgres://AbC%2Fx/db", None),
    ("postgres://user:p%40ss%3Aw%2Fd@HOST.Example.COM:5432/db", None),
    ("postgres://u:p@[::1]:5432/db", None),
    ("postgres://u:p@[2001:DB8::1]/db", None),
    ("postgres://u:p@[fe80::1%25eth0]:5432/db", None),
    ("postgres://u:p@[v1.fut]:5432/db", None),
    ("postgres://u:p@host:/db", None),
    ("postgres://u:p@host:0/db", ("port_zero", "port 0 is an error (Python gives PORT \"\", the default port)")),
    ("postgres:/u:p4ss@h/db", ("password_in_name", "a raw @ in the name is an unencoded password (missing // after the scheme)")),
    ("postgres://u:1234/p4ss@h/db", ("password_in_name", "a raw @ in the name is an unencoded password (a / in it)")),
    ("postgres://u:p@host/db?sslmode=bogus", ("invalid_sslmode", "sslmode must be a libpq mode, as SUPABASE_DB_SSLMODE")),
    ("postgres://u:p@host:65535/db", None),
    ("postgres://u:p@host:05432/db", None),
    ("postgres://u:p@host:65536/db", None),
    ("postgres://u:p@host:99999999999999999999/db", None),
    ("postgres://u:p@host:abc/db", None),
    ("postgres://u:p@host:80:90/db", None),
    ("postgres://u:pa#ss@host/db", None),
    ("postgres://u:p@host/db?sslmode=require", None),
    ("postgres://u:p@host/db?sslmode=require&connect_timeout=10&keepalives=TRUE&x=False", None),
    ("postgres://u:p@host/db?currentSchema=myschema", None),
    ("postgres://u:p@host/db?options=x&currentSchema=s", None),
    ("postgres://u:p@host/db?currentSchema=s&options=x", None),
    ("postgres://u:p@host/db?currentSchema=0", None),
    ("postgres://u:p@host/db?currentSchema=true", None),
    ("postgres://u:p@host/db?currentSchema=a&currentSchema=b", "repeated_option"),
    ("postgres://u:p@host/db?a=1&a=2&a=x", None),
    ("postgres://u:p@host/db?a=&b", None),
    ("postgres://u:p@host/db?", None),
    ("postgres://u:p@host/db?x=1&&y=2", None),
    ("postgres://u:p@host/db?q=a+b%26c&%3Dk=v", None),
    ("postgres://u:p@host/db?n=007&m=-1&f=1.5", None),
    ("postgres://u:p@host/db?=x", None),
    ("mysql://u:p@h/db?ssl-ca=/etc/ssl/ca.pem&charset=utf8mb4", None),
    ("mysql2://u:p@h/db?ssl-ca=/x", None),
    ("mysqlgis://u:p@h/db?ssl-ca=/x", None),
    ("mysql://u:p@h/db?ssl-ca=/x&ssl=1", None),
    ("mysql://u:p@h/db?ssl=1&ssl-ca=/x", None),
    ("mysql://u:p@h/db?ssl-ca=0", None),
    ("postgres://us%20er:p%20w@h/na%20me", None),
    ("postgres://us@er:p@ss@host/db", None),
    ("postgres://u:p:q@host/db", None),
    ("POSTGRES://U:P@H/DB", None),
    ("postgres://u:p@host/db#frag", None),
    ("postgres://u:p@host/db/extra", None),
    ("postgres://host/d%C3%A9j%C3%A0", None),
    ("postgres://\u00fc:\u00f1@h\u00f4st/db", None),
    ("  postgres://u:p@host/db", None),
    ("postgres://u:p@ho\tst/d\nb", None),
    ("postgres://:p@host/db", None),
    ("postgres://u@host/db", None),
    ("postgres://@host/db", None),
    ("postgres:///db", None),
    ("postgres://u:p@host:5432", None),
    ("postgres:db", None),
    ("postgres://u:p%zz@h/db", ("invalid_percent_encoding", PERCENT)),
    ("postgres://u:p%4@h/db", ("invalid_percent_encoding", PERCENT)),
    ("postgres://u:%FF@h/db", ("invalid_utf8", UTF8)),
    ("postgres://u:p@h/db?x=%zz", ("invalid_percent_encoding", PERCENT)),
    ("postgres://u:p@[::1/db", None),
    ("postgres://u:p@::1]/db", None),
    ("postgres://u:p@[1.2.3.4]/db", None),
    ("postgres://u:p[x]@host/db", None),
    ("postgres://u:p@[::1]junk:5432/db", None),
    ("redis://h/0", None),
    ("localhost:5432", None),
    # The other schemes of dj-database-url (issue 14), each with its quirks.
    ("timescale://u:p@h:5432/db", None),
    ("timescale://u:p@h/db?currentSchema=metrics&sslmode=require", None),
    ("timescalegis://u:p@h/gis?currentSchema=s", None),
    ("timescale://u:p@h/db?sslmode=bogus", ("invalid_sslmode", "sslmode must be a libpq mode, as SUPABASE_DB_SSLMODE")),
    ("redshift://u:p@cluster.example.us-east-1.redshift.amazonaws.com:5439/dev", None),
    ("redshift://u:p@h/dev?currentSchema=analytics&connect_timeout=5", None),
    ("cockroach://root@h:26257/defaultdb?sslmode=verify-full&sslrootcert=/certs/ca.crt", None),
    ("cockroach://u:p@h/db?currentSchema=s", None),
    ("cockroach://u:p@h/db?sslmode=anything", None),
    ("mysql-connector://u:p@h:3306/db?charset=utf8mb4", None),
    ("mysql-connector://u:p@h/db?ssl-ca=/x", None),
    ("mysqlgis://u:p@h:3306/gis", None),
    ("spatialite:///x.db", None),
    ("spatialite:////abs/geo.db", None),
    ("spatialite://", None),
    ("spatialite://u@h/a@b.db", None),
    ("sqlite:///a@b.db", None),
    ("oracle://u:p@h:1521/orclpdb1", None),
    ("oracle://u:p@h/orclpdb1", None),
    ("oracle://u:p@h:01521/xe?threaded=true", None),
    ("oraclegis://u:p@h:1521/xe", None),
    ("oraclegis://u:p@h/xe", None),
    ("mssql://sa:p%40ss@sqlserver:1433/app?driver=ODBC+Driver+18+for+SQL+Server&TrustServerCertificate=yes", None),
    ("mssql://u:p@h/db", None),
    ("mssqlms://u:p@h:1433/db?encrypt=false", None),
    ("MSSQL://u:p@[::1]:1433/db", None),
    ("Mysql-Connector://u@h/db", None),
    ("mongodb://u:p@h/db", ("unknown_scheme", SCHEME)),
    ("db2://u:p@h/db", ("unknown_scheme", SCHEME)),
    ("", ("empty", "empty input has its own error")),
    ("postgres://u:p@host/db?big=99999999999999999999999", "bigint"),
    ("postgres://u:p@host/db?a=%C2%B2", "superscript"),
]

CACHE_CASES = [
    ("redis://localhost:6379/0", None),
    ("redis://127.0.0.1:6379/1", None),
    ("rediss://:secret@redis.example.com:6380/0", None),
    ("redis://user:secret@h:6379/2", None),
    ("redis://[::1]:6379/0", None),
    ("redis://h:6379", None),
    ("redis://h", None),
    ("redis://:p%40ss@h:6379/0", None),
    ("redis://Host.Example:6379/0", None),
    ("redis://h:6379/0?timeout=5&key_prefix=app&socket_timeout=0.5&retry_on_timeout=True&name=x", None),
    ("redis://h:6379/0?health_check_interval=30", None),
    ("redis://h/0?a=1&a=2", None),
    ("redis://h/0?x", None),
    ("redis://h/0?s='quoted'&n=None&neg=-3&hex=0x1F&e=1e3", None),
    ("rediss://u@h:6380/3", None),
    ("redis://h:6379/0?KEY_PREFIX=x&timeout=-1&version=2", None),
    ("redis://default:pa:ss@h:6379/0", None),
    ("memcache://h:11211", ("unsupported_cache_scheme", "only redis and rediss are supported")),
    ("redis://h/abc", ("invalid_db_index", "the path must be a database index")),
    ("redis://h:abc/0", ("invalid_port", "the port is validated (django-environ never reads it)")),
    ("redis:///0", ("missing_host", "a socket path is not supported; django-environ renders unix://")),
    ("http://h", None),
]


def run_database(url):
    try:
        return {"expected": dj_database_url.parse(url)}
    except Exception as exc:  # noqa: BLE001 - the exception's class is the fact recorded
        return {"error": type(exc).__name__}


def run_cache(url):
    try:
        return {"expected": environ.Env.cache_url_config(url, backend=REDIS_CACHE)}
    except Exception as exc:  # noqa: BLE001
        return {"error": type(exc).__name__}


def database_deviation(url, result, deviation):
    if deviation is None:
        return None
    if isinstance(deviation, tuple):
        kind, why = deviation
        return {"error": kind, "why": why}
    expected = dict(result.get("expected", {}))
    if deviation == "full":
        full = dj_database_url.parse("sqlite://")
        return {"expected": full, "why": "sqlite://:memory: gives the same full dict as sqlite://"}
    if deviation == "repeated_option":
        return {"error": "repeated_option", "why": "Python renders the list's repr into search_path"}
    if deviation == "bigint":
        expected["OPTIONS"] = {"big": "99999999999999999999999"}
        return {"expected": expected, "why": "all-digit values beyond u64 stay strings"}
    if deviation == "superscript":
        full = dj_database_url.parse("postgres://u:p@host/db?a=x")
        full["OPTIONS"] = {"a": "\u00b2"}
        return {"expected": full, "why": "non-ASCII digits stay strings (Python raises in int())"}
    raise SystemExit(f"unknown deviation {deviation!r}")


def cases(table, run, deviate):
    out = []
    for url, deviation in table:
        case = {"url": url, **run(url)}
        rust = deviate(url, case, deviation)
        if rust is not None:
            case["rust"] = rust
        out.append(case)
    return out


def cache_deviation(url, result, deviation):
    if deviation is None:
        return None
    kind, why = deviation
    return {"error": kind, "why": why}


# Random differential corpus: URLs assembled from awkward but valid-ish parts.
USERS = ["", "u", "User", "us%40er", "us@er", "a b", "%C3%BC", "\u00fc", "x:y", "%3A", "u%2Fv", "-._~!$&'()*+,;="]
PASSWORDS = ["", "p", "P@ss", "p%40ss", "p:q", "p%3Aq", "%25", "p%2Fw", "%C3%A9t%C3%A9", "s p", "a&b=c", "[x]", "#x", "p?x", "%zz", "%FF"]
HOSTS = ["", "h", "HOST", "db.Example.COM", "127.0.0.1", "[::1]", "[2001:DB8::A]", "[fe80::1%25en0]",
         "%2Fvar%2Frun%2Fpostgresql", "%2FTmp", "Abc%2F", "h%41", "[v7.x]", "[::1", "h]"]
PORTS = ["", ":", ":5432", ":0", ":05432", ":65535", ":65536", ":x", ":5432:1", ":-1", ":+5", ": 5"]
NAMES = ["", "db", "my%20db", "a/b", "d%C3%A9j%C3%A0", ":memory:", "/abs/x.db", "x.db", "%2F", "db%3Fx", "%zz"]
QUERIES = ["", "?", "?a=1", "?a=1&a=2", "?a=&b", "?sslmode=require", "?x=TRUE&y=false&z=10", "?currentSchema=s",
           "?currentSchema=0", "?ssl-ca=/ca.pem", "?ssl-ca=/c&ssl=1", "?q=a+b", "?k%3D=v%26", "?=v", "?n=-1&f=0.5",
           "?options=-c%20x", "#frag", "?a=1#frag"]
SCHEMES = ["postgres", "postgresql", "pgsql", "postgis", "mysql", "mysql2", "mysqlgis", "sqlite", "Postgres", "SQLITE",
           "timescale", "timescalegis", "redshift", "cockroach", "mysql-connector", "spatialite", "oracle",
           "oraclegis", "mssql", "mssqlms", "MsSql"]


def random_urls(count, seed=20240611):
    rng = random.Random(seed)
    urls = []
    while len(urls) < count:
        scheme = rng.choice(SCHEMES)
        user, password = rng.choice(USERS), rng.choice(PASSWORDS)
        if password and rng.random() < 0.8:
            userinfo = f"{user}:{password}@"
        elif user and rng.random() < 0.5:
            userinfo = f"{user}@"
        else:
            userinfo = ""
        url = f"{scheme}://{userinfo}{rng.choice(HOSTS)}{rng.choice(PORTS)}/{rng.choice(NAMES)}{rng.choice(QUERIES)}"
        urls.append(url)
    return urls


def random_cases(count):
    out = []
    for url in random_urls(count):
        result = run_database(url)
        if "expected" in result and urllib.parse.urlsplit(url.strip()).scheme not in SUPPORTED:
            raise SystemExit(f"unexpected scheme in {url!r}")
        out.append({"url": url, **result})
    return out


def write(name, document):
    path = HERE / name
    path.write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {path.relative_to(HERE.parent.parent)}: {len(document['cases'])} cases")


def main():
    versions = {
        "python": sys.version.split()[0],
        "dj_database_url": getattr(dj_database_url, "__version__", None) or _dist_version("dj-database-url"),
        "django_environ": _dist_version("django-environ"),
    }
    registered = {scheme: engine.backend for scheme, engine in dj_database_url.ENGINE_SCHEMES.items()}
    if set(registered) != SUPPORTED:
        raise SystemExit(f"dj-database-url registers {sorted(registered)}; update SUPPORTED and core/src/catalog.rs")
    write("database_urls.json", {"generator": "tests/url/generate.py", **versions, "schemes": registered,
                                 "cases": cases(DATABASE_CASES, run_database, database_deviation)})
    write("database_random.json", {"generator": "tests/url/generate.py", **versions,
                                   "cases": random_cases(1500)})
    write("cache_urls.json", {"generator": "tests/url/generate.py", **versions, "backend": REDIS_CACHE,
                              "cases": cases(CACHE_CASES, run_cache, cache_deviation)})


def _dist_version(name):
    from importlib.metadata import version

    return version(name)


if __name__ == "__main__":
    main()
