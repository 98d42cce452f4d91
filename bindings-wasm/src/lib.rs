//! dbstack-wasm: the core's JSON boundary for JavaScript (browser and Node.js).
//!
//! Each export takes the call as a JS object (or its JSON text) and returns the answer
//! as a JS object; the shapes are those of `dbstack_core::ffi` and of the CLI's `--json`.
//! Errors are answers (`{"ok": false, "error": {...}}`), never exceptions.

use wasm_bindgen::prelude::*;

/// talc instead of std's dlmalloc: a few kilobytes smaller and faster; the module is
/// single-threaded (no `atomics`), which is what talc's WASM allocator assumes.
#[cfg(all(target_family = "wasm", not(target_feature = "atomics")))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &str = include_str!("types.d.ts");

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = JSON, js_name = stringify)]
    fn json_stringify(value: &JsValue) -> String;
    #[wasm_bindgen(js_namespace = JSON, js_name = parse)]
    fn json_parse(text: &str) -> JsValue;
}

/// `JSON.stringify` of a value (for Rust callers and tests of the exports).
pub fn to_json_text(value: &JsValue) -> String {
    json_stringify(value)
}

/// The call as JSON text: a string is taken as is, anything else is `JSON.stringify`d.
fn call_text(input: &JsValue) -> String {
    match input.as_string() {
        Some(text) => text,
        None if input.is_undefined() || input.is_null() => "{}".to_owned(),
        None => json_stringify(input),
    }
}

/// Resolves environment, Kubernetes facts, stack file and Vault answers to the document.
#[wasm_bindgen(unchecked_return_type = "ResolveAnswer")]
pub fn resolve(
    #[wasm_bindgen(unchecked_param_type = "ResolveCall | string")] input: JsValue,
) -> JsValue {
    json_parse(&dbstack_core::ffi::resolve_json(&call_text(&input)))
}

/// The Vault reads a resolution of these inputs needs.
#[wasm_bindgen(unchecked_return_type = "PlanAnswer")]
pub fn plan(#[wasm_bindgen(unchecked_param_type = "Inputs | string")] input: JsValue) -> JsValue {
    json_parse(&dbstack_core::ffi::plan_json(&call_text(&input)))
}

/// Every resolved value with its source and what it overrode, as a table and as rows.
#[wasm_bindgen(unchecked_return_type = "ExplainAnswer")]
pub fn explain(
    #[wasm_bindgen(unchecked_param_type = "ResolveCall | string")] input: JsValue,
) -> JsValue {
    json_parse(&dbstack_core::ffi::explain_json(&call_text(&input)))
}

/// The JSON Schema of the `dbstack.resolution/v1` document.
#[wasm_bindgen(unchecked_return_type = "object")]
pub fn schema() -> JsValue {
    // The schema's JSON text as is: no `serde_json::Value` is built for it in the module.
    json_parse(dbstack_core::schema::SCHEMA_JSON)
}
