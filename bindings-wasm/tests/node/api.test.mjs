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
// Test secrets carry the sentinel; the answers are recorded for scripts/sentinel.py (issue 15).
const { SENTINEL, secret, recorded } = await import("../../../tests/sentinel.mjs");
const LOG = "wasm-api";

const ENV = {
  SUPABASE_DB_HOST: "db.example.test",
  SUPABASE_DB_PORT: "6543",
  SUPABASE_DB_NAME: "shop",
  SUPABASE_DB_USER: "shop",
  SUPABASE_DB_PASSWORD: secret("pg"),
};

test("resolve takes an object and answers the document", () => {
  const answer = recorded(LOG, wasm.resolve, { env: ENV, profile: "development" });
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
  const answer = recorded(LOG, wasm.resolve, JSON.stringify({ env: ENV, profile: "development", reveal: true }));
  assert.equal(answer.ok, true);
  assert.equal(answer.resolution.django.DATABASES.default.PASSWORD, ENV.SUPABASE_DB_PASSWORD);
});

test("a bad value is an error answer naming the variable, not an exception", () => {
  const answer = recorded(LOG, wasm.resolve, { env: { ...ENV, SUPABASE_DB_PORT: "abc" } });
  assert.equal(answer.ok, false);
  assert.equal(answer.error.source, "SUPABASE_DB_PORT");
  assert.equal(answer.error.exit_code, 2);
  assert.ok(!JSON.stringify(answer).includes(SENTINEL));
});

test("a malformed call is an error answer", () => {
  const answer = wasm.resolve("{not json");
  assert.equal(answer.ok, false);
  assert.equal(answer.error.kind, "invalid_call");
  const unknown = wasm.resolve({ envv: {} });
  assert.equal(unknown.ok, false);
});

test("plan lists the Vault reads", () => {
  const none = recorded(LOG, wasm.plan, { env: ENV });
  assert.equal(none.ok, true);
  assert.equal(none.plan.settings, null);
  const some = wasm.plan({ env: { VAULT_ADDR: "http://127.0.0.1:8200" } });
  assert.equal(some.ok, true);
  assert.equal(some.plan.settings.addr, "http://127.0.0.1:8200");
  assert.ok(some.plan.reads.some((r) => r.path === "secret/dbstack/supabase"), JSON.stringify(some.plan.reads));
});

test("explain gives rows with sources", () => {
  const answer = recorded(LOG, wasm.explain, { env: ENV });
  assert.equal(answer.ok, true);
  assert.ok(!JSON.stringify(answer).includes(SENTINEL));
  const row = answer.rows.find((r) => r.path === "django.DATABASES.default.HOST");
  assert.deepEqual(row.source, { kind: "env", name: "SUPABASE_DB_HOST" });
  assert.match(answer.text, /SUPABASE_DB_HOST/);
});

// Every kind of secret a call carries (issue 15): passwords in URLs and in their query,
// variables, keys, a Vault token and Vault answers, an override. None reaches a masked answer,
// the explain text or an error message; revealed, they are there (fenced in the record).
const SECRET_CALL = {
  env: {
    DATABASE_URL: `postgres://app:${secret("url")}@db.example.test:5432/app?sslpassword=${secret("query")}`,
    AGENT_DB_URL: `mysql://agent@agent.example.test:3306/agent?password=${secret("query")}`,
    DRAGONFLY_URL: `redis://default:${secret("redis")}@cache.example.test:6379/0`,
    RAGFLOW_URL: "http://ragflow.example.test:9380",
    RAGFLOW_API_KEY: secret("ragflow"),
    ROCKETMQ_NAMESRV_ADDR: "mq.example.test:9876",
    ROCKETMQ_ACCESS_KEY: "access",
    ROCKETMQ_SECRET_KEY: secret("rocketmq"),
    VAULT_ADDR: "http://127.0.0.1:8200",
    VAULT_TOKEN: secret("vault-token"),
  },
  overrides: { "django.DATABASES.agent_db.OPTIONS": `{"api_key": "${secret("override")}"}` },
  vault: {
    status: { state: "ok" },
    auth: "token",
    results: { "secret/dbstack/supabase": { kind: "kv2", data: { username: "vaultuser", password: secret("kv") } } },
  },
};

test("secrets of every kind stay out of resolve, plan, explain and django answers", () => {
  const { vault, ...inputs } = SECRET_CALL; // plan takes the inputs only
  for (const [fn, call] of [[wasm.resolve, SECRET_CALL], [wasm.plan, inputs], [wasm.explain, SECRET_CALL], [wasm.django, SECRET_CALL]]) {
    const answer = recorded(LOG, fn, call);
    assert.equal(answer.ok, true, JSON.stringify(answer.error));
    assert.ok(!JSON.stringify(answer).includes(SENTINEL), `${fn.name} leaks a secret`);
  }
  const shown = recorded(LOG, wasm.resolve, { ...SECRET_CALL, reveal: true });
  // Revealed, they are in the document (the Vault answer's password wins over the URL's).
  const text = JSON.stringify(shown.resolution);
  for (const tag of ["query", "redis", "ragflow", "rocketmq", "override", "kv"]) assert.ok(text.includes(secret(tag)), tag);
});

test("an error never repeats a secret of the call", () => {
  const pw = secret("bad");
  const calls = [
    { env: { DATABASE_URL: `postgres://app:${pw}@db.example.test:abc/app` } },
    { env: { DRAGONFLY_URL: `redis://default:${pw}@cache.example.test:99999/0` } },
    { env: { DATABASE_URL: `postgres://app:${pw}@db.example.test/app?sslmode=bogus` } },
    { env: { SUPABASE_DB_PASSWORD: pw, SUPABASE_DB_PORT: "70000" } },
    { env: { VAULT_ADDR: "http://127.0.0.1:8200", VAULT_TOKEN: pw }, vault: { status: { state: "ok" }, results: { "secret/dbstack/supabase": { kind: "kv9", data: { password: pw } } } } },
    { env: { VAULT_ADDR: "http://127.0.0.1:8200" }, vault: { status: { state: "ok" }, results: { "secret/dbstack/supabase": { kind: "kv2", data: pw } } } },
    { env: { RAGFLOW_API_KEY: pw }, envv: {} },
    `{"env": {"SUPABASE_DB_PASSWORD": "${pw}", "SUPABASE_DB_PORT": 5432}}`,
    `{"env": {"SUPABASE_DB_PASSWORD": "${pw}"`,
  ];
  for (const call of calls) {
    const answer = recorded(LOG, wasm.resolve, call);
    assert.equal(answer.ok, false, JSON.stringify(answer));
    assert.ok(!JSON.stringify(answer).includes(SENTINEL), `the error repeats the secret: ${answer.error.kind} ${answer.error.source}`);
  }
});

// Scrubbing that cannot be bypassed (issue 15): a Vault error message or warning in the call that
// echoes the token is scrubbed by the core at the JSON boundary, as the native client scrubs what it reads.
test("a Vault error message in the call that echoes the token is scrubbed", () => {
  const token = secret("vault-token");
  const error = { kind: "permission_denied", source: "http://127.0.0.1:8200", status: 403, message: `permission denied: ${token}` };
  const answer = recorded(LOG, wasm.resolve, { env: { VAULT_ADDR: "http://127.0.0.1:8200", VAULT_TOKEN: token }, vault: { status: { state: "failed", error }, warnings: [`renew ${token} soon`], results: {} } });
  assert.equal(answer.ok, true, JSON.stringify(answer.error));
  assert.ok(!JSON.stringify(answer).includes(SENTINEL), "the Vault error repeats the token");
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
