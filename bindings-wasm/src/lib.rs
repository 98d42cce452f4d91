//! dbstack-wasm: the core's JSON boundary for JavaScript (browser and Node.js).
//!
//! The package's `resolve`, `plan`, `explain` and `django` take the call as a JS object (or its
//! JSON text) and return the answer as a JS object; the shapes are those of `dbstack_core::ffi`
//! and of the CLI's `--json`. Errors are answers (`{"ok": false, "error": {...}}`), never
//! exceptions.

use wasm_bindgen::prelude::*;

/// talc instead of std's dlmalloc: a few kilobytes smaller and faster; the module is
/// single-threaded (no `atomics`), which is what talc's WASM allocator assumes.
#[cfg(all(target_family = "wasm", not(target_feature = "atomics")))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &str = include_str!("types.d.ts");

// The module takes and answers JSON text (`__call`). The public `resolve`, `plan`, `explain` and
// `django` are JavaScript (bindings-wasm/js/guard.js, appended to the generated glue by
// scripts/lib/wasm.sh): they turn any input into JSON text or an `{ok: false}` answer
// (Symbol, BigInt, circular objects, a `toJSON` answering `undefined`), refuse oversized
// input before it reaches the module, and re-instantiate the module if it ever traps.
// Checks there cost the module nothing; the core bounds a stack file's nesting itself.

/// `resolve` over JSON text: the call in, the answer out.
pub fn resolve(call: &str) -> String {
    dbstack_core::ffi::resolve_json(call)
}

/// `plan` over JSON text: the Vault reads a resolution of these inputs needs.
pub fn plan(inputs: &str) -> String {
    dbstack_core::ffi::plan_json(inputs)
}

/// `explain` over JSON text: every resolved value with its source and what it overrode.
pub fn explain(call: &str) -> String {
    dbstack_core::ffi::explain_json(call)
}

/// `django` over JSON text: the resolution as the `settings.py` snippet of the CLI's
/// `--format django` (the core's renderer; the preview page shows it).
pub fn django(call: &str) -> String {
    dbstack_core::ffi::django_json(call)
}

/// The one text export: 0 `resolve`, 1 `plan`, 2 `explain`, 3 the JSON Schema of the
/// `dbstack.resolution/v1` document (the guard's `schema()` parses it), 4 `django`; anything
/// else traps the module as a bug would (the package's tests of the guard's restart use 255).
/// One export's string shims instead of six: the module's size budget is tight.
#[wasm_bindgen(js_name = "__call")]
pub fn call(which: u32, text: &str) -> String {
    match which {
        0 => resolve(text),
        1 => plan(text),
        2 => explain(text),
        3 => dbstack_core::SCHEMA_JSON.to_owned(),
        4 => django(text),
        _ => trap(),
    }
}

/// A WebAssembly `unreachable` trap.
fn trap() -> String {
    #[cfg(target_arch = "wasm32")]
    core::arch::wasm32::unreachable();
    #[cfg(not(target_arch = "wasm32"))]
    String::new()
}

/// The version of this package: the Cargo workspace's, the same as `dbstack --version`, the
/// Python package's and the npm package's (scripts/release.sh checks that they agree).
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}
