//! The `verify` probes' reply parsers (HTTP health answers, RESP replies, RocketMQ frames),
//! fed what a hostile server could send. The first byte picks the parser.
#![no_main]

use dbstack_runtime::verify::fuzz_hooks;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    match which % 3 {
        0 => fuzz_hooks::http_answer(rest),
        1 => fuzz_hooks::resp_replies(rest),
        _ => fuzz_hooks::rocketmq_frame(rest),
    }
});
