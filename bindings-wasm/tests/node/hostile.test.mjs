// The JS package under a careless or hostile caller (issue 18): every input gets an answer
// (never an exception), a normal call succeeds right after each hostile one, the module is
// re-instantiated after a trap, and its memory stays flat over repeated rounds. Property tests
// (fast-check, a bounded number of runs) throw random values of every type at every export.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";

const HERE = dirname(fileURLToPath(import.meta.url));
const PKG = join(HERE, "..", "..", "pkg", "node", "dbstack_wasm.js");
if (!existsSync(PKG)) throw new Error(`${PKG} is missing: run scripts/test.sh wasm (it builds the package)`);
const require = createRequire(import.meta.url);
const wasm = require(PKG);
const fc = require("fast-check"); // $DBSTACK_NODE/node_modules, via NODE_PATH (scripts/lib/wasm.sh)
// The normal call carries a sentinel secret (issue 15); answers around traps are recorded.
const { SENTINEL, secret, recorded } = await import("../../../tests/sentinel.mjs");
const LOG = "wasm-hostile";

const NORMAL = { env: { SUPABASE_DB_HOST: "db.example.test", SUPABASE_DB_PASSWORD: secret("hostile") }, profile: "development" };
const EXPORTS = { resolve: wasm.resolve, plan: wasm.plan, explain: wasm.explain, django: wasm.django };

function assertNormalCallWorks(after, record = false) {
  const answer = record ? recorded(LOG, wasm.resolve, NORMAL) : wasm.resolve(NORMAL);
  assert.equal(answer.ok, true, `a normal call after ${after}: ${JSON.stringify(answer.error)}`);
  assert.equal(answer.resolution.django.DATABASES.default.HOST, "db.example.test");
  assert.ok(!JSON.stringify(answer).includes(SENTINEL), `a normal call after ${after} leaks the password`);
}

function assertAnswer(answer, what) {
  assert.equal(typeof answer, "object", `${what}: not an answer`);
  assert.equal(typeof answer.ok, "boolean", `${what}: ${JSON.stringify(answer)}`);
  if (!answer.ok) {
    assert.equal(typeof answer.error.kind, "string", what);
    assert.equal(typeof answer.error.message, "string", what);
    assert.equal(answer.error.exit_code, 2, what);
  }
}

const circular = { env: {} };
circular.self = circular;
let deepArray = [];
for (let i = 0; i < 200_000; i++) deepArray = [deepArray];
const stackCall = (text) => ({ stack: { name: "hostile.toml", text } });

// [name, input, whether the answer must be an error]
const HOSTILE = [
  ["a Symbol", Symbol("x"), true],
  ["a function", () => 1, true],
  ["a BigInt", 10n, true],
  ["an object holding a BigInt", { env: { A: 1n } }, true],
  ["a circular object", circular, true],
  ["a toJSON answering undefined", { toJSON: () => undefined }, true],
  ["a toJSON that throws", { toJSON: () => { throw new Error("no"); } }, true],
  ["a toJSON that throws a Symbol", { toJSON: () => { throw Symbol("s"); } }, true],
  ["a getter that throws", Object.defineProperty({}, "env", { enumerable: true, get() { throw new TypeError("getter"); } }), true],
  ["a revoked Proxy", (() => { const p = Proxy.revocable({}, {}); p.revoke(); return p.proxy; })(), true],
  ["a number", 42, true],
  ["a boolean", true, true],
  ["200,000 nested JS arrays", deepArray, true],
  ["9 MiB of JSON text", JSON.stringify({ env: { A: "x".repeat(9 * 1024 * 1024) } }), true],
  ["JSON nested 100,000 deep", "[".repeat(100_000), true],
  ["a lone surrogate in JSON text", '{"env": {"A": "\\ud800"}}', true],
  ["2,000 nested inline tables", stackCall(`x = ${"{a = ".repeat(2000)}1${"}".repeat(2000)}`), true],
  ["3,000 nested arrays", stackCall(`x = ${"[".repeat(3000)}${"]".repeat(3000)}`), true],
  ["a 2,000-part dotted key", stackCall(`${Array(2000).fill("a").join(".")} = 1`), true],
  ["a 2,000-part table header", stackCall(`[${Array(2000).fill("a").join(".")}]`), true],
  // A displayed value over 65,535 characters: once a panic in the table renderer (issue 18).
  ["a 65,536-character value", { env: { SUPABASE_DB_HOST: "h".repeat(65536) } }, false],
];

test("every hostile input gets an answer, and a normal call works right after it", () => {
  for (const [name, input, mustFail] of HOSTILE) {
    for (const [exportName, fn] of Object.entries(EXPORTS)) {
      let answer;
      assert.doesNotThrow(() => { answer = fn(input); }, `${exportName}(${name}) threw`);
      assertAnswer(answer, `${exportName}(${name})`);
      if (mustFail) assert.equal(answer.ok, false, `${exportName}(${name}) should be refused`);
      assertNormalCallWorks(`${exportName}(${name})`);
    }
  }
});

test("a module that traps is re-instantiated: the call answers, the next call works", () => {
  const real = wasm.__call;
  try {
    wasm.__call = () => real(255, ""); // a real `unreachable` trap inside the module
    const answer = recorded(LOG, wasm.resolve, NORMAL);
    assert.equal(answer.ok, false);
    assert.ok(!JSON.stringify(answer).includes(SENTINEL));
    assert.equal(answer.error.kind, "internal");
    assert.match(answer.error.message, /restarted/);
  } finally {
    wasm.__call = real;
  }
  assertNormalCallWorks("a trap", true);
  assert.equal(recorded(LOG, wasm.plan, NORMAL).ok, true);
  assert.equal(recorded(LOG, wasm.explain, NORMAL).ok, true);
});

test("memory stays flat over repeated hostile rounds and traps", () => {
  const round = () => {
    for (const [, input] of HOSTILE) {
      for (const fn of Object.values(EXPORTS)) fn(input);
    }
    const real = wasm.__call;
    wasm.__call = () => real(255, "");
    wasm.resolve(NORMAL);
    wasm.__call = real;
    assertNormalCallWorks("a round");
  };
  round();
  round();
  const before = wasm.__memoryBytes();
  for (let i = 0; i < 8; i++) round();
  const after = wasm.__memoryBytes();
  assert.ok(after <= before + 1024 * 1024, `the module's memory grew from ${before} to ${after} bytes`);
});

// Random values of every type, and call-shaped objects with random values inside.
const anything = fc.oneof(
  fc.anything({
    withBigInt: true,
    withBoxedValues: true,
    withDate: true,
    withMap: true,
    withSet: true,
    withObjectString: true,
    withNullPrototype: true,
    withTypedArray: true,
    withSparseArray: true,
  }),
  fc.constantFrom(Symbol("s"), () => 1, 1n, circular, { toJSON: () => undefined }, NaN, -0, Infinity),
  fc.string({ unit: "binary", maxLength: 200 }),
);
const callShaped = fc.record(
  {
    env: fc.oneof(fc.dictionary(fc.string(), fc.oneof(fc.string(), anything), { maxKeys: 4 }), anything),
    stack: fc.oneof(fc.record({ name: fc.string(), text: fc.string({ unit: "binary", maxLength: 300 }) }), anything),
    profile: anything,
    overrides: fc.oneof(fc.dictionary(fc.string(), fc.string(), { maxKeys: 3 }), anything),
    vault: anything,
    kubernetes: anything,
    reveal: anything,
  },
  { requiredKeys: [] },
);

for (const [exportName, fn] of Object.entries(EXPORTS)) {
  test(`property: ${exportName} answers any value and stays usable`, () => {
    fc.assert(
      fc.property(fc.oneof(anything, callShaped), (input) => {
        assertAnswer(fn(input), `${exportName}(${fc.stringify(input)})`);
      }),
      { numRuns: 300 },
    );
    assertNormalCallWorks(`the property run of ${exportName}`);
  });
}
