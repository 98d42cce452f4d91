// Run by scripts/release.sh inside a fresh Node.js project that installed the packed tarball
// (`npm install --offline dbstack-<version>.tgz`): the package as a user gets it. Both builds,
// every way in: ESM import and CommonJS require (the `node` export), the `web` build with its
// module given as bytes (what a browser does with fetch), and version() against the expected one.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import * as esm from "dbstack";
import * as web from "dbstack/web";
// tests/sentinel.mjs and tests/sentinel.txt, copied next to this file by scripts/release.sh: the
// password carries the secret sentinel and the answers are recorded (issue 15).
import { SENTINEL, secret, recorded } from "./sentinel.mjs";

const require = createRequire(import.meta.url);
const cjs = require("dbstack");
const want = process.env.DBSTACK_EXPECTED_VERSION;
const CALL = { env: { DATABASE_URL: `postgres://app:${secret("npm")}@db.internal:5432/app` }, profile: "production" };
const LOG = "npm-package";

test("the package resolves from node_modules, not from a checkout", () => {
  assert.match(require.resolve("dbstack"), /node_modules\/dbstack\/pkg\/node\/dbstack_wasm\.js$/);
});

test("ESM import and CommonJS require give the same working module", () => {
  for (const mod of [esm, cjs]) {
    const answer = recorded(LOG, mod.resolve, CALL);
    assert.equal(answer.ok, true, JSON.stringify(answer.error));
    assert.equal(answer.resolution.django.DATABASES.default.HOST, "db.internal");
    assert.equal(answer.resolution.django.DATABASES.default.PASSWORD, "********");
    assert.equal(mod.plan({ env: {} }).ok, true);
    const explained = recorded(LOG, mod.explain, CALL);
    assert.equal(explained.ok, true);
    assert.ok(!JSON.stringify([answer, explained]).includes(SENTINEL));
    assert.equal(typeof mod.schema(), "object");
  }
});

test("version() is the release's version", () => {
  assert.ok(want, "DBSTACK_EXPECTED_VERSION is not set");
  assert.equal(esm.version(), want);
  assert.equal(require("dbstack/package.json").version, want);
});

test("the web build loads from its module bytes and answers the same", () => {
  const bytes = readFileSync(require.resolve("dbstack/dbstack_wasm_bg.wasm"));
  web.initSync({ module: bytes });
  assert.equal(web.version(), want);
  assert.deepEqual(recorded(LOG, web.resolve, CALL), esm.resolve(CALL));
});
