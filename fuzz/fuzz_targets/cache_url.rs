//! The cache (redis) URL parser: no panic; a parsed URL renders back to the same location.
#![no_main]

use dbstack_core::url::parse_cache_url;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(url) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(cache) = parse_cache_url(url) {
        let again = parse_cache_url(&cache.to_url()).expect("a rendered URL parses");
        assert_eq!(again.location(true), cache.location(true), "{url:?}");
        let _ = cache.to_json(false);
    }
});
