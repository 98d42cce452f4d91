//! The database URL parser: no panic; a parsed URL renders back to one that parses to the
//! same config; an error never carries the password's text.
#![no_main]

use dbstack_core::url::parse_database_url;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(url) = std::str::from_utf8(data) else {
        return;
    };
    match parse_database_url(url) {
        Ok(config) => {
            let again = parse_database_url(&config.to_url());
            assert_eq!(again.as_ref(), Ok(&config), "{url:?} -> {:?}", config.to_url());
            let _ = config.to_json(false);
            // The masked URL carries the mask where the password was, and nothing else
            // changes (the password's text may also appear in the host or path).
            let masked = parse_database_url(&config.to_url_masked()).expect("a masked URL parses");
            if !config.password.is_empty() {
                assert_eq!(masked.password, "********", "{url:?}");
            }
            assert_eq!((&masked.host, &masked.name), (&config.host, &config.name), "{url:?}");
        }
        Err(e) => {
            let _ = e.kind();
            let _ = e.to_string();
        }
    }
});
