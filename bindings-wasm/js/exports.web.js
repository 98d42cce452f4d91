// The public exports of the web (ES module) package, guarded (bindings-wasm/js/guard.js).
export function resolve(input) { return __dbstackGuard((text) => __call(0, text), input); }
export function plan(input) { return __dbstackGuard((text) => __call(1, text), input); }
export function explain(input) { return __dbstackGuard((text) => __call(2, text), input); }
export function django(input) { return __dbstackGuard((text) => __call(4, text), input); }
export function schema() { return JSON.parse(__call(3, "")); }
