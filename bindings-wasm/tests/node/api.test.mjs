// The JavaScript API of the nodejs-target package (bindings-wasm/pkg/node, built by
// scripts/suites/wasm.sh): the four exports, both call forms (object and JSON text),
// errors as answers, and the shared corpus tests/vectors through the JS surface.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, "..", "..", "..");
const PKG = join(ROOT, "bindings-wasm", "pkg", "node", "dbstack_wasm.js");
if (!existsSync(PKG)) throw new Error(`${PKG} is missing: run scripts/test.sh wasm (it builds the package)`);
const wasm = createRequire(import.meta.url)(PKG);
const { corpus, check } = await import("./vectors.mjs");

const ENV = {
  SUPABASE_DB_HOST: "db.example.test",
  SUPABASE_DB_PORT: "6543",
  SUPABASE_DB_NAME: "shop",
  SUPABASE_DB_USER: "shop",
  SUPABASE_DB_PASSWORD: "hunter2",
};

test("resolve takes an object and answers the document", () => {
  const answer = wasm.resolve({ env: ENV, profile: "development" });
  assert.equal(answer.ok, true, JSON.stringify(answer.error));
  const db = answer.resolution.django.DATABASES.default;
  assert.equal(answer.resolution.schema, "dbstack.resolution/v1");
  assert.equal(db.HOST, "db.example.test");
  assert.equal(db.PORT, 6543);
  assert.equal(db.NAME, "shop");
  assert.equal(db.PASSWORD, "********");
  assert.ok(answer.secret_paths.includes("django.DATABASES.default.PASSWORD"));
  assert.equal(answer.resolution.provenance["django.DATABASES.default.HOST"].source.name, "SUPABASE_DB_HOST");
});

test("resolve takes JSON text too, and reveals only when asked", () => {
  const answer = wasm.resolve(JSON.stringify({ env: ENV, profile: "development", reveal: true }));
  assert.equal(answer.ok, true);
  assert.equal(answer.resolution.django.DATABASES.default.PASSWORD, "hunter2");
});

test("a bad value is an error answer naming the variable, not an exception", () => {
  const answer = wasm.resolve({ env: { ...ENV, SUPABASE_DB_PORT: "abc" } });
  assert.equal(answer.ok, false);
  assert.equal(answer.error.source, "SUPABASE_DB_PORT");
  assert.equal(answer.error.exit_code, 2);
  assert.doesNotMatch(JSON.stringify(answer), /hunter2/);
});

test("a malformed call is an error answer", () => {
  const answer = wasm.resolve("{not json");
  assert.equal(answer.ok, false);
  assert.equal(answer.error.kind, "invalid_call");
  const unknown = wasm.resolve({ envv: {} });
  assert.equal(unknown.ok, false);
});

test("plan lists the Vault reads", () => {
  const none = wasm.plan({ env: ENV });
  assert.equal(none.ok, true);
  assert.equal(none.plan.settings, null);
  const some = wasm.plan({ env: { VAULT_ADDR: "http://127.0.0.1:8200" } });
  assert.equal(some.ok, true);
  assert.equal(some.plan.settings.addr, "http://127.0.0.1:8200");
  assert.ok(some.plan.reads.some((r) => r.path === "secret/dbstack/supabase"), JSON.stringify(some.plan.reads));
});

test("explain gives rows with sources", () => {
  const answer = wasm.explain({ env: ENV });
  assert.equal(answer.ok, true);
  const row = answer.rows.find((r) => r.path === "django.DATABASES.default.HOST");
  assert.deepEqual(row.source, { kind: "env", name: "SUPABASE_DB_HOST" });
  assert.match(answer.text, /SUPABASE_DB_HOST/);
});

test("version() is the Cargo workspace's version (one version everywhere)", () => {
  const manifest = readFileSync(join(ROOT, "Cargo.toml"), "utf8");
  const workspace = manifest.slice(manifest.indexOf("[workspace.package]"));
  const want = /^version = "([^"]+)"/m.exec(workspace)?.[1];
  assert.ok(want, "no version in [workspace.package] of Cargo.toml");
  assert.equal(wasm.version(), want);
  const pkg = JSON.parse(readFileSync(join(ROOT, "bindings-wasm", "package.json"), "utf8"));
  assert.equal(pkg.version, want, "bindings-wasm/package.json version");
});

test("schema is a JSON Schema object", () => {
  const s = wasm.schema();
  assert.equal(typeof s, "object");
  assert.ok(s !== null);
});

// The shared corpus, through the JS API: the same checker rules as tests/vectors/check.rs.
const cases = corpus(join(ROOT, "tests", "vectors"), readdirSync, readFileSync);
test("the tests/vectors corpus has its cases", () => {
  assert.ok(cases.length >= 60, `only ${cases.length} cases in tests/vectors`);
});
for (const [name, c] of cases) {
  test(`vector ${name}`, () => {
    const answer = wasm.resolve(c.call);
    const { vault, reveal, ...inputs } = c.call;
    const fails = check(c, answer, wasm.plan(inputs));
    assert.deepEqual(fails, []);
  });
}
