// End-to-end test of the preview page in real headless Chromium (Debian `chromium`,
// driven by playwright-core). Run by scripts/suites/browser.sh, which installs both and
// builds bindings-wasm/www/pkg first. Writes tests/out/preview.png and
// tests/out/preview-metrics.json (first render times, recorded, not asserted). The secrets it
// types carry the sentinel (issue 15): the page's visible text and the copied settings are
// recorded in $DBSTACK_LOGS/outputs/browser.log for scripts/sentinel.py, and asserted masked.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";
import { serve } from "./serve.mjs";
import { SENTINEL, secret, record } from "../sentinel.mjs";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const WWW = join(ROOT, "bindings-wasm", "www");
const OUT = join(ROOT, "tests", "out");
const CHROMIUM = process.env.DBSTACK_CHROMIUM ?? "/usr/bin/chromium";
const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

function need(what, ok) {
  if (!ok) throw new Error(`${what} is missing: run scripts/test.sh browser (it installs and builds it)`);
}

let chromium;
let browser;
let server;

before(async () => {
  need(`chromium at ${CHROMIUM}`, existsSync(CHROMIUM));
  need("bindings-wasm/www/pkg (the built WASM package)", existsSync(join(WWW, "pkg", "dbstack_wasm_bg.wasm")));
  const require = createRequire(import.meta.url);
  try {
    ({ chromium } = require("playwright-core"));
  } catch {
    need("npm package playwright-core", false);
  }
  server = await serve(WWW);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
  mkdirSync(OUT, { recursive: true });
});

after(async () => {
  await browser?.close();
  await server?.close();
});

async function openPage() {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  const page = await context.newPage();
  const problems = [];
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("console", (m) => m.type() === "error" && problems.push(`console error: ${m.text()}`));
  await page.goto(server.url);
  await page.waitForSelector("body[data-ready=true]", { timeout: 15000 });
  return { page, problems, close: () => context.close() };
}

/** Replaces the editor's text and waits for the page to re-render. */
async function setEnv(page, text) {
  await page.fill("#env", text);
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
}

/** Records the page's visible text; unless it shows secrets on purpose, asserts it holds none. */
async function recordPage(page, what, reveals = false) {
  const text = await page.locator("body").innerText();
  record("browser", what, text, reveals);
  if (!reveals) assert.ok(!text.includes(SENTINEL), `${what}: the page shows a secret`);
}

const cellOf = (page, alias, col) => page.locator(`#databases-table tr[data-alias="${alias}"] td[data-col="${col}"]`);

const ENV = [
  "# the shop's database",
  "export SUPABASE_DB_HOST=db.shop.example",
  "SUPABASE_DB_PORT=6543",
  "SUPABASE_DB_NAME='shop'",
  'SUPABASE_DB_USER="shop"',
  `SUPABASE_DB_PASSWORD=${secret("pg")}  # secret`,
];
const PASSWORD = secret("pg");

test("typing an environment renders DATABASES and the routes", async () => {
  const { page, problems, close } = await openPage();
  try {
    await setEnv(page, ENV.join("\n") + "\n");
    // Type the last line key by key, as a person would: the page follows live.
    await page.locator("#env").pressSequentially("DRAGONFLY_URL=redis://cache.shop.example:6380/2");
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));

    assert.equal(await cellOf(page, "default", "HOST").textContent(), "db.shop.example");
    assert.equal(await cellOf(page, "default", "PORT").textContent(), "6543");
    assert.equal(await cellOf(page, "default", "NAME").textContent(), "shop");
    assert.equal(await cellOf(page, "default", "USER").textContent(), "shop");
    assert.equal(await cellOf(page, "default", "PASSWORD").textContent(), "********");

    const route = page.locator('#routing-table tr[data-app="python_agent"]');
    assert.equal(await route.locator('td[data-col="read"]').textContent(), "agent_db");
    assert.equal(await route.locator('td[data-col="write"]').textContent(), "agent_db");
    assert.equal(await route.locator('td[data-col="migrate"]').textContent(), "agent_db");

    const caches = await page.locator("#caches").textContent();
    assert.match(caches, /redis:\/\/cache\.shop\.example:6380\/2/);
    assert.match(await page.locator("#provenance-table").textContent(), /env:SUPABASE_DB_HOST/);
    assert.equal(await page.locator(".line-error").count(), 0);
    assert.equal(await page.locator("#stack-svg .node").count() > 4, true);
    await recordPage(page, "typed environment");

    // Reveal toggle: the password appears only when asked for.
    await page.check("#reveal");
    await page.waitForFunction((pw) => document.querySelector('#databases-table tr[data-alias="default"] td[data-col="PASSWORD"]')?.textContent === pw, PASSWORD);
    assert.ok((await page.locator("#settings-py").textContent()).includes(`"PASSWORD": "${PASSWORD}"`));
    await recordPage(page, "typed environment, revealed", true);
    await page.uncheck("#reveal");
    await page.waitForFunction(() => document.querySelector('#databases-table tr[data-alias="default"] td[data-col="PASSWORD"]')?.textContent === "********");
    const settings = await page.locator("#settings-py").textContent();
    assert.match(settings, /^DATABASES = \{/m);
    assert.ok(!settings.includes(SENTINEL));
    await recordPage(page, "typed environment, masked again");

    // "Copy as settings.py" puts the masked settings on the clipboard.
    await page.context().grantPermissions(["clipboard-read", "clipboard-write"], { origin: server.url });
    await page.click("#copy-settings");
    await page.waitForFunction(() => document.querySelector("#copy-status")?.textContent === "copied");
    const clip = await page.evaluate(() => navigator.clipboard.readText());
    assert.match(clip, /^DATABASES = \{/m);
    assert.match(clip, /"HOST": "db\.shop\.example"/);
    record("browser", "copied settings.py", clip);
    assert.ok(!clip.includes(SENTINEL));

    await page.screenshot({ path: join(OUT, "preview.png"), fullPage: true });
    assert.deepEqual(problems, []);
  } finally {
    await close();
  }
});

test("a bad port shows an inline error next to its line, not a blank page", async () => {
  const { page, problems, close } = await openPage();
  try {
    await setEnv(page, ENV.join("\n"));
    const bad = ENV.map((l) => (l.startsWith("SUPABASE_DB_PORT") ? "SUPABASE_DB_PORT=abc" : l));
    await setEnv(page, bad.join("\n"));
    const bubble = page.locator(".line-error");
    await bubble.first().waitFor({ timeout: 5000 });
    assert.equal(await bubble.count(), 1);
    assert.equal(await bubble.getAttribute("data-line"), "3"); // the SUPABASE_DB_PORT line
    assert.match(await bubble.textContent(), /SUPABASE_DB_PORT/);
    assert.equal(await page.locator(".gutter .ln.err").textContent(), "⚠ 3");
    assert.match(await page.locator('#env-errors li[data-line="3"]').textContent(), /^line 3: .*SUPABASE_DB_PORT/);
    // The last good resolution stays on the page, dimmed.
    assert.equal(await cellOf(page, "default", "HOST").textContent(), "db.shop.example");
    assert.equal(await page.locator("#error-banner").isHidden(), true);
    await recordPage(page, "a bad port");
    await page.screenshot({ path: join(OUT, "preview-error.png") });

    // Fixing the line clears the error.
    await setEnv(page, ENV.join("\n"));
    assert.equal(await page.locator(".line-error").count(), 0);
    assert.deepEqual(problems, []);
  } finally {
    await close();
  }
});

test("a ConfigMap data block in a cluster resolves to the Service names", async () => {
  const { page, problems, close } = await openPage();
  try {
    await page.check("#incluster");
    await page.fill("#namespace", "shop");
    await page.selectOption("#profile", "development");
    await setEnv(
      page,
      [
        "apiVersion: v1",
        "kind: ConfigMap",
        "metadata:",
        "  name: database-config",
        "data:",
        '  SUPABASE_DB_NAME: "shop"',
        "  SUPABASE_DB_USER: shop",
        `  RAGFLOW_API_KEY: '${secret("ragflow")}'`,
      ].join("\n"),
    );
    assert.equal(await cellOf(page, "default", "HOST").textContent(), "supabase-db.shop.svc.cluster.local");
    assert.equal(await cellOf(page, "default", "PORT").textContent(), "5432");
    assert.equal(await cellOf(page, "default", "NAME").textContent(), "shop");
    assert.match(await page.locator("#ragflow-table").textContent(), /ragflow\.shop\.svc\.cluster\.local:9380/);
    assert.match(await page.locator("#rocketmq-table").textContent(), /rocketmq-namesrv\.shop\.svc\.cluster\.local:9876/);
    await recordPage(page, "a ConfigMap in a cluster");
    assert.equal(await page.locator(".line-error").count(), 0);
    assert.deepEqual(problems, []);
  } finally {
    await close();
  }
});

test("pasted Vault answers fill the credentials, and the Vault plan lists the reads", async () => {
  const { page, problems, close } = await openPage();
  try {
    await setEnv(page, ["VAULT_ADDR=http://127.0.0.1:8200", `VAULT_TOKEN=${secret("token")}`, "SUPABASE_DB_HOST=db.shop.example", "SUPABASE_DB_USER=envuser"].join("\n"));
    assert.match(await page.locator("#plan-table").textContent(), /secret\/dbstack\/supabase/);
    await page.click("#vault-box summary");
    await page.fill(
      "#vault",
      JSON.stringify({
        status: { state: "ok" },
        auth: "token",
        results: { "secret/dbstack/supabase": { kind: "kv2", data: { username: "vaultuser", password: secret("vault") } } },
      }),
    );
    await page.waitForFunction(() => document.querySelector('#databases-table tr[data-alias="default"] td[data-col="USER"]')?.textContent === "vaultuser");
    assert.equal(await cellOf(page, "default", "PASSWORD").textContent(), "********");
    assert.match(await page.locator("#provenance-table").textContent(), /vault:secret\/dbstack\/supabase/);
    assert.ok(!(await page.locator("#outputs").textContent()).includes(SENTINEL));
    await recordPage(page, "pasted Vault answers");

    // `[vault] kv_services` in a pasted stack file: the plan reads only the listed secrets.
    assert.match(await page.locator("#plan-table").textContent(), /secret\/dbstack\/ragflow/);
    await page.click("#stack-box summary");
    await page.fill("#stack", '[aliases.default]\nservice = "supabase"\n\n[vault]\nkv_services = ["supabase"]\n');
    await page.waitForFunction(() => !/ragflow/.test(document.querySelector("#plan-table")?.textContent ?? "ragflow"));
    assert.match(await page.locator("#plan-table").textContent(), /secret\/dbstack\/supabase/);
    assert.doesNotMatch(await page.locator("#plan-table").textContent(), /dragonfly|rocketmq/);
    await page.fill("#stack", "");

    // Broken JSON is reported under the box; the page keeps working.
    await page.fill("#vault", "{not json");
    await page.locator("#vault-error").waitFor({ state: "visible" });
    assert.match(await page.locator("#vault-error").textContent(), /not valid JSON/);
    await recordPage(page, "broken Vault answers");
    assert.deepEqual(problems, []);
  } finally {
    await close();
  }
});

test("a pasted stack file's [django] settings show in DATABASES with their lines; its errors name the line", async () => {
  const { page, problems, close } = await openPage();
  try {
    await setEnv(page, `DATABASE_URL=postgres://app:${secret("url")}@aws-0-eu-west-1.pooler.supabase.com:6543/postgres?connect_timeout=10\n`);
    await page.click("#stack-box summary");
    await page.fill(
      "#stack",
      [
        "[django]",
        "conn_max_age = 600",
        "",
        "[aliases.default]",
        'service = "supabase"',
        "atomic_requests = true",
        'options = { application_name = "shop", connect_timeout = 3 }',
        'test = { NAME = "test_shop" }',
        "",
      ].join("\n"),
    );
    const conn = (alias, col) => page.locator(`#connections-table tr[data-alias="${alias}"] td[data-col="${col}"]`);
    await page.waitForFunction(() => document.querySelector('#connections-table tr[data-alias="default"] td[data-col="CONN_MAX_AGE"]')?.textContent === "600");
    assert.equal(await conn("default", "ATOMIC_REQUESTS").textContent(), "true");
    assert.equal(await conn("default", "DISABLE_SERVER_SIDE_CURSORS").textContent(), "true", "port 6543: a transaction pooler");
    assert.equal(await conn("default", "TEST").textContent(), '{"NAME":"test_shop"}');
    // The URL's query wins over the stack's options; the stack fills the rest.
    assert.equal(await cellOf(page, "default", "OPTIONS").textContent(), '{"connect_timeout":10,"application_name":"shop"}');
    const provenance = await page.locator("#provenance-table").textContent();
    assert.match(provenance, /stack:stack\.toml:2/);
    assert.match(provenance, /stack:stack\.toml:6/);
    assert.match(provenance, /transaction pooler \(port 6543\)/);
    assert.match(await page.locator("#warnings").textContent(), /transaction pooler/);
    assert.match(await page.locator("#settings-py").textContent(), /"ATOMIC_REQUESTS": True/);
    // settings.py is the core's renderer (`django()`, the CLI's --format django): warnings as comments.
    assert.match(await page.locator("#settings-py").textContent(), /^# Generated by dbstack \(\w+ profile\); secrets are masked\.\n# warning: .*transaction pooler/);
    // The table fits its column at this width (long names wrap after an underscore).
    const fits = await page.evaluate(() => {
      const t = document.querySelector("#connections-table");
      return t.getBoundingClientRect().right <= t.parentElement.getBoundingClientRect().right + 1;
    });
    assert.equal(fits, true, "the connections table overflows its column");
    assert.equal(await page.locator('#connections-table th:has-text("DISABLE_SERVER_SIDE_CURSORS")').count(), 1);
    await recordPage(page, "a pasted stack file");

    // A wrong type is reported under the box with its line and column; the page keeps working.
    await page.fill("#stack", '[aliases.default]\nservice = "supabase"\nconn_max_age = "600"\n');
    await page.locator("#stack-error").waitFor({ state: "visible" });
    assert.match(await page.locator("#stack-error").textContent(), /stack\.toml:3:16: `aliases\.default\.conn_max_age` must be a whole number/);
    await recordPage(page, "a wrong type in the stack file");
    await page.fill("#stack", "");
    await page.locator("#stack-error").waitFor({ state: "hidden" });
    assert.equal(await conn("default", "CONN_MAX_AGE").textContent(), "0");
    assert.deepEqual(problems, []);
  } finally {
    await close();
  }
});

test("short values never break mid-word in the provenance and DATABASES tables at common widths", async () => {
  const { page, problems, close } = await openPage();
  try {
    await setEnv(page, ENV.join("\n"));
    const broken = [];
    for (const width of [1400, 1280, 1024, 800]) {
      await page.setViewportSize({ width, height: 900 });
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
      const found = await page.evaluate(() => {
        const out = [];
        for (const cell of document.querySelectorAll("#provenance-table td, #databases-table td")) {
          const text = cell.textContent ?? "";
          // A word a reader reads at a glance (`development`, `false`, `5432`, `********`) stays
          // whole; longer values may wrap only after `.` `/` `_` `,` `:` `=` `&` `?`.
          if (!/^[^\s./_,:=&?]{1,32}$/.test(text)) continue;
          const range = document.createRange();
          range.selectNodeContents(cell);
          const lines = new Set([...range.getClientRects()].map((r) => Math.round(r.top)));
          if (lines.size > 1) out.push(text);
        }
        // A table wider than its column scrolls in its own box; the page never scrolls sideways.
        if (document.documentElement.scrollWidth > window.innerWidth + 1) out.push("the page overflows sideways");
        for (const id of ["#provenance-table", "#databases-table"]) {
          const t = document.querySelector(id);
          const box = t.parentElement;
          const scrolls = getComputedStyle(box).overflowX === "auto";
          if (t.getBoundingClientRect().right > box.getBoundingClientRect().right + 1 && !scrolls) out.push(`${id} overflows its column`);
        }
        return out;
      });
      for (const text of found) broken.push(`${width}px: ${text}`);
    }
    assert.deepEqual(broken, [], "values broken across lines");
    assert.deepEqual(problems, []);
  } finally {
    await close();
  }
});

test("first render is recorded", async () => {
  const runs = [];
  for (let i = 0; i < 7; i++) {
    const { page, close } = await openPage();
    runs.push(await page.evaluate(() => ({ ...window.__dbstack, update: undefined })));
    await close();
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const metrics = {
    runs: runs.length,
    wasm_init_ms_median: median(runs.map((r) => r.wasmInitMs)),
    first_render_ms_median: median(runs.map((r) => r.firstRenderMs)),
    navigation_to_ready_ms_median: median(runs.map((r) => r.readyAtMs)),
    raw: runs,
  };
  writeFileSync(join(OUT, "preview-metrics.json"), JSON.stringify(metrics, null, 2) + "\n");
  console.log(`first render: ${metrics.first_render_ms_median.toFixed(1)} ms (median of ${runs.length}); wasm init ${metrics.wasm_init_ms_median.toFixed(1)} ms; navigation to ready ${metrics.navigation_to_ready_ms_median.toFixed(1)} ms`);
  assert.ok(runs.every((r) => r.firstRenderMs > 0));
});
