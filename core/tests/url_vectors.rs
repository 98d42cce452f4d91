//! URL parsing compared with the dicts the real dj-database-url 3.x and django-environ
//! return. The fixtures are written by `tests/url/generate.py` (run it with the venv's
//! Python after changing a case); a case carrying a `rust` entry is a documented,
//! deliberate difference and asserts dbstack's behaviour instead.

// The fixture helpers below are test code too (clippy.toml only covers `#[test]` bodies).
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

use dbstack_core::url::{parse_cache_url, parse_database_url, UrlError};
use serde_json::Value;

fn fixture(name: &str) -> Vec<Value> {
    let path = format!("{}/../tests/url/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {path}: {e} (run tests/url/generate.py)"));
    let doc: Value = serde_json::from_str(&text).unwrap();
    doc["cases"].as_array().unwrap().clone()
}

/// What a case expects from dbstack: an error kind (None = any) or a dict.
enum Want {
    Error(Option<String>),
    Dict(Value),
}

fn want(case: &Value) -> Want {
    if let Some(rust) = case.get("rust") {
        if let Some(kind) = rust.get("error") {
            return Want::Error(Some(kind.as_str().unwrap().to_owned()));
        }
        return Want::Dict(rust["expected"].clone());
    }
    if case.get("error").is_some() {
        return Want::Error(None);
    }
    Want::Dict(case["expected"].clone())
}

/// Python's exception class -> the dbstack error kinds it may correspond to.
fn kinds_for_python_error(python: &str) -> &'static [&'static str] {
    match python {
        "ParseError" => &["invalid_port", "port_out_of_range", "invalid_ipv6"],
        "UnknownSchemeError" => &["unknown_scheme", "empty"],
        "ImproperlyConfigured" => &["unsupported_cache_scheme"],
        _ => &[],
    }
}

fn check_error(case: &Value, got: &UrlError, expected_kind: &Option<String>) -> Option<String> {
    let url = case["url"].as_str().unwrap();
    match expected_kind {
        Some(kind) if got.kind() != kind => Some(format!(
            "{url:?}: expected error {kind}, got {} ({got})",
            got.kind()
        )),
        None => {
            let python = case["error"].as_str().unwrap();
            let allowed = kinds_for_python_error(python);
            (!allowed.contains(&got.kind())).then(|| {
                format!(
                    "{url:?}: python raised {python}, dbstack {} ({got})",
                    got.kind()
                )
            })
        }
        _ => None,
    }
}

/// dbstack's scheme table is dj-database-url's `ENGINE_SCHEMES` (scheme -> engine), as
/// `tests/url/generate.py` recorded it from the installed library.
#[test]
fn scheme_table_is_dj_database_urls() {
    let path = format!(
        "{}/../tests/url/database_urls.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let theirs = doc["schemes"].as_object().unwrap();
    let ours: serde_json::Map<String, Value> = dbstack_core::catalog::DATABASE_SCHEMES
        .iter()
        .map(|s| (s.scheme.to_owned(), Value::from(s.engine)))
        .collect();
    assert_eq!(&ours, theirs);
    assert_eq!(ours.len(), dbstack_core::catalog::DATABASE_SCHEMES.len());
    // Every scheme has a hand-picked case in the fixture.
    let cases = fixture("database_urls.json");
    for scheme in ours.keys() {
        let prefix = format!("{scheme}://");
        assert!(
            cases.iter().any(|c| c["url"]
                .as_str()
                .unwrap()
                .to_ascii_lowercase()
                .starts_with(&prefix)),
            "no case for {scheme}"
        );
    }
}

#[test]
fn database_urls_match_dj_database_url() {
    let cases = fixture("database_urls.json");
    assert!(cases.len() >= 40, "only {} cases", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        let url = case["url"].as_str().unwrap();
        let got = parse_database_url(url);
        match (want(case), got) {
            (Want::Error(kind), Err(err)) => failures.extend(check_error(case, &err, &kind)),
            (Want::Error(_), Ok(cfg)) => failures.push(format!(
                "{url:?}: expected an error, got {}",
                Value::Object(cfg.to_json(true))
            )),
            (Want::Dict(_), Err(err)) => failures.push(format!("{url:?}: unexpected error {err}")),
            (Want::Dict(expected), Ok(cfg)) => {
                // Compare serialized text: key order matters (serde_json keeps it).
                let ours = serde_json::to_string(&cfg.to_json(true)).unwrap();
                let theirs = serde_json::to_string(&expected).unwrap();
                if ours != theirs {
                    failures.push(format!("{url:?}:\n  dbstack {ours}\n  python  {theirs}"));
                }
                let again = parse_database_url(&cfg.to_url());
                if again.as_ref() != Ok(&cfg) {
                    failures.push(format!(
                        "{url:?}: to_url {:?} does not parse back",
                        cfg.to_url()
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

/// 1500 seeded random URLs made of awkward parts, each run through the real dj-database-url.
/// The accepted differences: dbstack rejects malformed or non-UTF-8 percent-encoding, port 0
/// and a raw `@` in a database name (an unencoded password).
#[test]
fn random_database_urls_match_dj_database_url() {
    let cases = fixture("database_random.json");
    let mut failures = Vec::new();
    let (mut same_ok, mut same_err, mut strict) = (0, 0, 0);
    for case in &cases {
        let url = case["url"].as_str().unwrap();
        match (want(case), parse_database_url(url)) {
            (Want::Error(kind), Err(err)) => match check_error(case, &err, &kind) {
                Some(f) => failures.push(f),
                None => same_err += 1,
            },
            (Want::Dict(_), Err(err))
                if url.contains('%')
                    && matches!(err.kind(), "invalid_percent_encoding" | "invalid_utf8") =>
            {
                strict += 1
            }
            // Deliberate: port 0 and a raw `@` in the name (an unencoded password) are errors.
            (Want::Dict(expected), Err(err))
                if (err.kind() == "port_zero" && expected["PORT"] == "")
                    || (err.kind() == "password_in_name"
                        && expected["NAME"].as_str().is_some_and(|n| n.contains('@'))) =>
            {
                strict += 1
            }
            (Want::Dict(_), Err(err)) => failures.push(format!("{url:?}: unexpected error {err}")),
            (Want::Error(_), Ok(cfg)) => failures.push(format!(
                "{url:?}: expected an error, got {}",
                Value::Object(cfg.to_json(true))
            )),
            (Want::Dict(expected), Ok(cfg)) => {
                let ours = serde_json::to_string(&cfg.to_json(true)).unwrap();
                let theirs = serde_json::to_string(&expected).unwrap();
                if ours == theirs {
                    same_ok += 1;
                } else {
                    failures.push(format!("{url:?}:\n  dbstack {ours}\n  python  {theirs}"));
                }
                if parse_database_url(&cfg.to_url()).as_ref() != Ok(&cfg) {
                    failures.push(format!(
                        "{url:?}: to_url {:?} does not parse back",
                        cfg.to_url()
                    ));
                }
            }
        }
    }
    eprintln!(
        "random corpus: {same_ok} same dict, {same_err} both errors, {strict} strict (percent-decoding, port 0, `@` in the name), {} differ",
        failures.len()
    );
    assert!(same_ok > 300 && same_err > 100, "corpus lacks variety");
    assert!(
        failures.is_empty(),
        "{} of {} random cases differ:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn cache_urls_match_django_environ() {
    let cases = fixture("cache_urls.json");
    let mut failures = Vec::new();
    for case in &cases {
        let url = case["url"].as_str().unwrap();
        match (want(case), parse_cache_url(url)) {
            (Want::Error(kind), Err(err)) => failures.extend(check_error(case, &err, &kind)),
            (Want::Error(_), Ok(c)) => {
                failures.push(format!("{url:?}: expected an error, got {c:?}"))
            }
            (Want::Dict(_), Err(err)) => failures.push(format!("{url:?}: unexpected error {err}")),
            (Want::Dict(expected), Ok(c)) => {
                let ours = serde_json::to_string(&c.to_json(true)).unwrap();
                let theirs = serde_json::to_string(&expected).unwrap();
                if ours != theirs {
                    failures.push(format!("{url:?}:\n  dbstack {ours}\n  python  {theirs}"));
                }
                if parse_cache_url(&c.to_url()).as_ref() != Ok(&c) {
                    failures.push(format!(
                        "{url:?}: to_url {:?} does not parse back",
                        c.to_url()
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn masked_outputs_hide_only_the_password() {
    let cfg = parse_database_url("postgres://app:s3cr%40t@db:5432/app?sslmode=require").unwrap();
    let masked = cfg.to_json(false);
    assert_eq!(masked["PASSWORD"], "********");
    assert_eq!(masked["USER"], "app");
    assert_eq!(cfg.to_json(true)["PASSWORD"], "s3cr@t");
    assert!(!format!("{cfg:?}").contains("s3cr"));
    assert_eq!(
        cfg.to_url_masked(),
        "postgres://app:********@db:5432/app?sslmode=require"
    );
    assert_eq!(
        cfg.to_url(),
        "postgres://app:s3cr%40t@db:5432/app?sslmode=require"
    );
    // No password: nothing to mask.
    let open = parse_database_url("mysql://root@127.0.0.1:3306/agent_runtime").unwrap();
    assert_eq!(open.to_json(false)["PASSWORD"], "");

    let cache = parse_cache_url("rediss://default:p%40ss@cache.svc:6380/2").unwrap();
    assert_eq!(
        cache.location(false),
        "rediss://default:********@cache.svc:6380/2"
    );
    assert_eq!(
        cache.location(true),
        "rediss://default:p%40ss@cache.svc:6380/2"
    );
    assert_eq!((cache.db, cache.port), (Some(2), Some(6380)));
    assert_eq!(cache.username, "default");
    assert!(!format!("{cache:?}").contains("p@ss"));
    assert_eq!(parse_cache_url("redis://h:6379/0").unwrap().options(), None);
}

#[test]
fn documented_examples() {
    let socket = parse_database_url("postgres://%2Fvar%2Frun%2Fpostgresql/db").unwrap();
    assert_eq!(socket.host, "/var/run/postgresql");
    let v6 = parse_database_url("postgres://u@[::1]:5432/db").unwrap();
    assert_eq!((v6.host.as_str(), v6.port), ("::1", Some(5432)));
    assert_eq!(
        parse_database_url("sqlite://:memory:").unwrap().name,
        ":memory:"
    );
    assert_eq!(parse_database_url("sqlite://").unwrap().name, ":memory:");
    assert_eq!(
        parse_database_url("sqlite:////abs/path.db").unwrap().name,
        "/abs/path.db"
    );
    let pg = parse_database_url("postgres://u@h/db?currentSchema=app&connect_timeout=5").unwrap();
    let options = pg.options.unwrap();
    assert_eq!(options["options"], "-c search_path=app");
    assert_eq!(options["connect_timeout"], 5);
    let my = parse_database_url("mysql://u@h/db?ssl-ca=/ca.pem").unwrap();
    assert_eq!(my.options.unwrap()["ssl"]["ca"], "/ca.pem");
    assert_eq!(
        parse_database_url("postgres://u@h/db?").unwrap().options,
        None
    );
}

#[test]
fn errors_have_stable_kinds_and_never_show_the_password() {
    const PW: &str = "Sup3rSecretPw";
    let database_cases: &[(&str, &str)] = &[
        ("", "empty"),
        ("   ", "empty"),
        ("mongodb://u:Sup3rSecretPw@h/db", "unknown_scheme"),
        ("Sup3rSecretPw", "unknown_scheme"),
        ("postgres://u:Sup3rSecretPw@h:abc/db", "invalid_port"),
        ("postgres://u:Sup3r#SecretPw@h/db", "invalid_port"),
        ("postgres://u:Sup3rSecretPw@h:65536/db", "port_out_of_range"),
        (
            "postgres://u:Sup3rSecretPw%zz@h/db",
            "invalid_percent_encoding",
        ),
        (
            "postgres://u:Sup3rSecretPw%4@h/db",
            "invalid_percent_encoding",
        ),
        ("postgres://u:Sup3rSecretPw%FF@h/db", "invalid_utf8"),
        ("postgres://u:Sup3rSecretPw@[::1/db", "invalid_ipv6"),
        ("postgres://u:Sup3rSecretPw@::1]/db", "invalid_ipv6"),
        ("postgres://u:Sup3rSecretPw@[1.2.3.4]/db", "invalid_ipv6"),
        (
            "postgres://u:Sup3rSecretPw@h/db?currentSchema=a&currentSchema=b",
            "repeated_option",
        ),
    ];
    let cache_cases: &[(&str, &str)] = &[
        ("", "empty"),
        (
            "memcache://:Sup3rSecretPw@h:11211",
            "unsupported_cache_scheme",
        ),
        ("postgres://:Sup3rSecretPw@h/0", "unsupported_cache_scheme"),
        ("redis://:Sup3rSecretPw@h:6379/zero", "invalid_db_index"),
        (
            "redis://:Sup3rSecretPw@h:6379/99999999999",
            "invalid_db_index",
        ),
        ("redis://:Sup3rSecretPw@h:port/0", "invalid_port"),
        ("redis://:Sup3rSecretPw@h:70000/0", "port_out_of_range"),
        ("redis://:Sup3rSecretPw@/0", "missing_host"),
        ("redis://:Sup3rSecretPw%g1@h/0", "invalid_percent_encoding"),
        ("redis://:Sup3rSecretPw@[::1:6379/0", "invalid_ipv6"),
    ];
    let mut failures = Vec::new();
    let results = database_cases
        .iter()
        .map(|(url, kind)| (url, kind, parse_database_url(url).err()))
        .chain(
            cache_cases
                .iter()
                .map(|(url, kind)| (url, kind, parse_cache_url(url).err())),
        );
    for (url, kind, err) in results {
        match err {
            None => failures.push(format!("{url:?}: parsed, expected {kind}")),
            Some(err) => {
                let message = err.to_string();
                if err.kind() != *kind {
                    failures.push(format!(
                        "{url:?}: kind {} ({message}), expected {kind}",
                        err.kind()
                    ));
                }
                if message.contains("Secret") || (!url.is_empty() && message.contains(*url)) {
                    failures.push(format!("{url:?}: message shows the secret: {message}"));
                }
                if message.chars().next().is_some_and(char::is_uppercase) || message.ends_with('.')
                {
                    failures.push(format!("{url:?}: message style: {message}"));
                }
                assert!(
                    !format!("{err:?}").contains(PW),
                    "{url:?}: Debug shows the secret"
                );
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    let unknown = parse_database_url("db2://h/db").unwrap_err().to_string();
    assert!(
        unknown.contains("`db2`")
            && unknown.contains("postgres, postgresql, pgsql")
            && unknown.contains("mssqlms"),
        "{unknown}"
    );
}

/// Found by fuzzing (`fuzz/fuzz_targets/database_url.rs`, issue 15): inputs where the
/// password's text also appears elsewhere in the URL, or the password is the mask itself. The
/// masked URL must still parse, with the mask as its password and nothing else changed.
#[test]
fn masked_urls_replace_only_the_password() {
    for url in [
        "sqlite://u:!!!!!!!!pcc@cccc!!!!!!!!pccc/x.db",
        "postgres://u:hunter22@hunter22.example/hunter22",
        "sqlite://%3A:********@%2FTmp/a=2",
    ] {
        let config = parse_database_url(url).unwrap();
        let masked = parse_database_url(&config.to_url_masked()).unwrap();
        assert_eq!(masked.password, "********", "{url}");
        assert_eq!(
            (&masked.host, &masked.name, &masked.user),
            (&config.host, &config.name, &config.user),
            "{url}"
        );
    }
}

/// Found by fuzzing (`fuzz/fuzz_targets/database_url.rs`, issue 15): a repeated `ssl-ca` in a
/// MySQL URL gives `OPTIONS.ssl.ca` as a list (as dj-database-url does); the URL rendered back
/// was `ssl-ca=["a","b"]` (one string) and parsed to a different config. Each value is now a pair.
#[test]
fn fuzz_found_urls_render_back_to_the_same_config() {
    for url in [
        "mysql://u:p@h/db?ssl-ca=/a.pem&ssl-ca=/b.pem",
        "mysql://u:p@h/db?ssl-ca=/a.pem&charset=utf8mb4&ssl-ca=%2Fb%26c.pem",
        "mysql://u:p@h/db?ssl-ca=/:p@h/db?ssl-ca=/et\u{f}c/ssl/ca.pem&charset=//u:p@h/db?sstc/ssl/ca.pem&ssl-ca==utf8mb4",
        // An IPv6 host whose letters after a `%` keep their case (`hostname` lower-cases only up
        // to the first `%`): `::B` was rendered `[::B]`, which parses to `::b`.
        "mysql://[::%42]",
        "postgres://u:p@[::%42x]:5432/db",
        "postgres://u:p@[fe80::1%25eth0]:5432/db",
    ] {
        let config = parse_database_url(url).unwrap();
        assert_eq!(
            parse_database_url(&config.to_url()).as_ref(),
            Ok(&config),
            "{url} -> {}",
            config.to_url()
        );
    }
}
