// The public exports of the Node.js (CommonJS) package, guarded (bindings-wasm/js/guard.js).
// `__call` is looked up on each call, so a test may wrap it.
exports.resolve = function resolve(input) { return __dbstackGuard((text) => exports.__call(0, text), input); };
exports.plan = function plan(input) { return __dbstackGuard((text) => exports.__call(1, text), input); };
exports.explain = function explain(input) { return __dbstackGuard((text) => exports.__call(2, text), input); };
exports.django = function django(input) { return __dbstackGuard((text) => exports.__call(4, text), input); };
exports.schema = function schema() { return JSON.parse(exports.__call(3, "")); };
exports.__memoryBytes = function memoryBytes() { return wasm.memory.buffer.byteLength; };
