//! Property tests of the URL parsers: no panics on any input, and rendering a config
//! back to a URL and parsing it again gives the same config, whatever characters the
//! user name, password, database name, host and options contain.

use std::net::Ipv6Addr;

use dbstack_core::url::{
    parse_cache_url, parse_database_url, CacheUrl, DatabaseConfig, DATABASE_SCHEMES, ENGINE_SQLITE,
};
use proptest::prelude::*;
use serde_json::{Map, Value};

/// Strings made mostly of the characters URLs get wrong.
fn awkward() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "[a-zA-Z0-9@:/%?#\\[\\]&=+ ,;~!$'()*\\\\é€😀\\t\\n\\x00-]{0,16}",
        1 => ".{0,16}",
    ]
}

/// URL-shaped garbage: a likely scheme, then awkward characters.
fn url_like() -> impl Strategy<Value = String> {
    (
        prop_oneof![
            Just(""),
            Just("postgres://"),
            Just("mysql://"),
            Just("sqlite://"),
            Just("sqlite:"),
            Just("redis://"),
            Just("rediss://"),
            Just("POSTGIS://"),
            Just("mssql://"),
            Just("Oracle://"),
            Just("spatialite://"),
            Just("timescale://"),
            Just(" \tpostgres://"),
        ],
        "[a-zA-Z0-9@:/%?#\\[\\]&=+. v_é\\t-]{0,48}",
    )
        .prop_map(|(scheme, rest)| format!("{scheme}{rest}"))
}

fn exercise(url: &str) {
    if let Ok(cfg) = parse_database_url(url) {
        let _ = cfg.to_json(false);
        let again = parse_database_url(&cfg.to_url());
        assert_eq!(again.as_ref(), Ok(&cfg), "{url:?} -> {:?}", cfg.to_url());
    }
    if let Ok(cache) = parse_cache_url(url) {
        let _ = (cache.location(false), cache.to_json(false), cache.options());
        let again = parse_cache_url(&cache.to_url());
        assert_eq!(
            again.as_ref(),
            Ok(&cache),
            "{url:?} -> {:?}",
            cache.to_url()
        );
    }
}

/// Every engine of the scheme table (dj-database-url's schemes).
fn engine() -> impl Strategy<Value = &'static str> {
    let engines: Vec<&'static str> = DATABASE_SCHEMES.iter().map(|s| s.engine).collect();
    prop::sample::select(engines)
}

fn host() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        "[a-z0-9.-]{1,20}",
        Just("::1".to_owned()),
        Just("2001:db8::a".to_owned()),
        Just("fe80::1%eth0".to_owned()),
        "/[A-Za-z0-9_/]{1,20}",
        awkward(),
    ]
}

/// A value that stays a string after dj-database-url's casting.
fn option_string() -> impl Strategy<Value = String> {
    awkward().prop_filter("cast to int or bool", |s| {
        !s.is_empty()
            && !s.bytes().all(|b| b.is_ascii_digit())
            && !s.eq_ignore_ascii_case("true")
            && !s.eq_ignore_ascii_case("false")
    })
}

fn option_value() -> impl Strategy<Value = Value> {
    let scalar = prop_oneof![
        option_string().prop_map(Value::String),
        any::<u64>().prop_map(Value::from),
        any::<bool>().prop_map(Value::Bool),
    ];
    prop_oneof![
        3 => scalar.clone(),
        1 => prop::collection::vec(scalar, 2..4).prop_map(Value::Array),
    ]
}

fn options() -> impl Strategy<Value = Option<Map<String, Value>>> {
    let key = prop_oneof![
        "[a-zA-Z_][a-zA-Z0-9_.-]{0,10}",
        awkward().prop_filter("special keys", |k| {
            !matches!(k.as_str(), "currentSchema" | "ssl-ca" | "ssl")
        }),
    ];
    prop::collection::vec((key, option_value()), 0..4).prop_map(|pairs| {
        let map: Map<String, Value> = pairs.into_iter().collect();
        (!map.is_empty()).then_some(map)
    })
}

fn database_config() -> impl Strategy<Value = DatabaseConfig> {
    (
        engine(),
        awkward(),
        awkward(),
        awkward(),
        host(),
        prop::option::of(1u16..),
        options(),
    )
        .prop_map(
            |(engine, name, user, password, host, port, options)| DatabaseConfig {
                name: if engine == ENGINE_SQLITE && name.is_empty() {
                    ":memory:".to_owned()
                } else {
                    name
                },
                engine: engine.to_owned(),
                user,
                password,
                host,
                port,
                options,
            },
        )
}

fn is_ipv6ish(host: &str) -> bool {
    let addr = host.split_once('%').map_or(host, |(a, _)| a);
    addr.parse::<Ipv6Addr>().is_ok()
}

fn cache_url() -> impl Strategy<Value = CacheUrl> {
    (
        prop_oneof![Just("redis"), Just("rediss")],
        awkward(),
        awkward(),
        prop_oneof![
            "[a-zA-Z0-9.-]{1,20}",
            Just("::1".to_owned()),
            awkward().prop_filter("empty", |h| !h.is_empty()),
        ],
        prop::option::of(any::<u16>()),
        prop::option::of(any::<u32>()),
        prop::collection::vec((awkward(), awkward()), 0..3),
    )
        .prop_map(
            |(scheme, username, password, host, port, db, query)| CacheUrl {
                scheme: scheme.to_owned(),
                username,
                password,
                host,
                port,
                db,
                query: query
                    .into_iter()
                    .filter(|(k, v)| !(k.is_empty() && v.is_empty()))
                    .collect(),
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn never_panics_on_any_string(url in ".{0,64}") {
        exercise(&url);
    }

    #[test]
    fn never_panics_on_url_like_strings(url in url_like()) {
        exercise(&url);
    }

    #[test]
    fn database_config_round_trips(cfg in database_config()) {
        let url = cfg.to_url();
        let parsed = parse_database_url(&url).map_err(|e| TestCaseError::fail(format!("{url:?}: {e}")))?;
        prop_assert_eq!(&parsed.engine, &cfg.engine);
        prop_assert_eq!(&parsed.user, &cfg.user, "{:?}", url);
        prop_assert_eq!(&parsed.password, &cfg.password, "{:?}", url);
        prop_assert_eq!(&parsed.name, &cfg.name, "{:?}", url);
        prop_assert_eq!(parsed.port, cfg.port);
        // dj-database-url lower-cases hosts (not socket paths); IPv6 is always lower-case.
        if !(is_ipv6ish(&cfg.host) && cfg.host != cfg.host.to_lowercase()) {
            prop_assert_eq!(&parsed.host, &cfg.host, "{:?}", url);
        }
        prop_assert_eq!(&parsed.options, &cfg.options, "{:?}", url);
        // And the parsed config is a fixed point.
        prop_assert_eq!(parse_database_url(&parsed.to_url()), Ok(parsed.clone()));
        // The masked URL and dict never show the password.
        let elsewhere = format!("{}{}{}{:?}", cfg.user, cfg.name, cfg.host, cfg.options);
        if cfg.password.chars().count() >= 6 && !elsewhere.contains(&cfg.password) {
            let masked_url = parsed.to_url_masked();
            let masked_json = serde_json::to_string(&parsed.to_json(false)).unwrap();
            let password = cfg.password.as_str();
            prop_assert!(!masked_url.contains(password), "{:?}", masked_url);
            prop_assert!(!masked_json.contains(&serde_json::to_string(password).unwrap()), "{:?}", masked_json);
            prop_assert_eq!(&parsed.to_json(false)["PASSWORD"], "********");
        }
    }

    #[test]
    fn cache_url_round_trips(cache in cache_url()) {
        let url = cache.to_url();
        let parsed = parse_cache_url(&url).map_err(|e| TestCaseError::fail(format!("{url:?}: {e}")))?;
        prop_assert_eq!(&parsed, &cache, "{:?}", url);
        if !cache.password.is_empty() {
            let masked = parsed.location(false);
            prop_assert!(masked.contains(":********@"), "{:?}", masked);
        }
    }

    #[test]
    fn errors_never_contain_the_password(
        password in "[A-Za-z0-9]{8,16}",
        breaker in prop_oneof![
            Just(":x/"), Just(":99999/"), Just("#/"), Just("%zz"), Just("%FF"), Just("[x"), Just("]"),
        ],
        where_ in 0usize..3,
    ) {
        let url = match where_ {
            0 => format!("postgres://user:{password}{breaker}@db:5432/app"),
            1 => format!("postgres://user:{breaker}{password}@db/app"),
            _ => format!("redis://:{password}{breaker}@cache:6379/0"),
        };
        for result in [parse_database_url(&url).err(), parse_cache_url(&url).err()].into_iter().flatten() {
            let message = result.to_string();
            prop_assert!(!message.contains(&password), "{:?} leaked in {:?}", password, message);
            prop_assert!(!message.contains(&url));
        }
    }
}
