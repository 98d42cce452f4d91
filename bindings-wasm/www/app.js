// The dbstack preview: parses what a person pastes, calls the WASM resolver on every
// keystroke and renders the answer. No framework; every value is inserted as text.
import init, { resolve, plan, django } from "./pkg/dbstack_wasm.js";

const SAMPLE = `# .env of the app (comments, quotes and \`export\` are fine)
export SUPABASE_DB_HOST=db.internal.example
SUPABASE_DB_PORT=5432
SUPABASE_DB_NAME=app
SUPABASE_DB_USER=app
SUPABASE_DB_PASSWORD="s3cret pass"
AGENT_DB_URL=postgres://agent:agentpw@db.internal.example:5432/agent
DRAGONFLY_URL=redis://:cachepw@cache.internal.example:6379/0
RAGFLOW_URL=http://ragflow.internal.example:9380
RAGFLOW_API_KEY=ragflow-key
ROCKETMQ_NAMESRV_ADDR=mq.internal.example:9876
`;

const $ = (id) => document.getElementById(id);
const LINE_HEIGHT = 20; // px; must match .editor textarea/gutter in style.css
const PAD_TOP = 8;

// ---------------------------------------------------------------- parsing

/** Unquotes a .env value: "..." (with \n, \t, \", \\ escapes), '...' (literal), or bare (# comment cut). */
function envValue(raw) {
  const v = raw.trim();
  if (v.startsWith('"')) {
    const end = v.lastIndexOf('"');
    if (end <= 0) return { error: "unterminated double quote" };
    return {
      value: v.slice(1, end).replace(/\\([nrt"\\$])/g, (_, c) => ({ n: "\n", r: "\r", t: "\t" })[c] ?? c),
    };
  }
  if (v.startsWith("'")) {
    const end = v.lastIndexOf("'");
    if (end <= 0) return { error: "unterminated single quote" };
    return { value: v.slice(1, end) };
  }
  const hash = v.search(/\s#/);
  return { value: (hash >= 0 ? v.slice(0, hash) : v).trim() };
}

function yamlValue(raw) {
  const v = raw.trim();
  if (v.startsWith('"') || v.startsWith("'")) {
    try {
      if (v.startsWith('"')) return { value: JSON.parse(v) };
    } catch {
      return { error: "invalid double-quoted YAML string" };
    }
    const end = v.lastIndexOf("'");
    if (end <= 0) return { error: "unterminated single quote" };
    return { value: v.slice(1, end).replace(/''/g, "'") };
  }
  const hash = v.search(/\s#/);
  return { value: (hash >= 0 ? v.slice(0, hash) : v).trim() };
}

/**
 * Parses `.env` lines or a ConfigMap (its `data:` block, or bare `KEY: value` lines).
 * Returns { env, lines: {VAR: lineNumber}, errors: [{line, message}] }; line numbers are 1-based.
 */
export function parseEnvironment(text) {
  const env = {};
  const lines = {};
  const errors = [];
  const all = text.split(/\r?\n/);
  const dataHeader = all.findIndex((l) => /^\s*data:\s*(#.*)?$/.test(l));
  const configMap = dataHeader >= 0;
  let dataIndent = configMap ? all[dataHeader].search(/\S/) : -1;
  let block = null; // { key, indent, start, parts } for `KEY: |` block scalars

  const flushBlock = () => {
    if (block) {
      env[block.key] = block.parts.join(block.fold ? " " : "\n") + (block.parts.length && !block.fold ? "\n" : "");
      lines[block.key] = block.start;
      block = null;
    }
  };

  all.forEach((line, i) => {
    const n = i + 1;
    if (block) {
      const indent = line.search(/\S/);
      if (line.trim() === "" || indent > block.keyIndent) {
        if (line.trim() === "") block.parts.push("");
        else {
          if (block.indent === undefined) block.indent = indent;
          block.parts.push(line.slice(Math.min(indent, block.indent)));
        }
        return;
      }
      while (block.parts.length && block.parts[block.parts.length - 1] === "") block.parts.pop();
      flushBlock();
    }
    const trimmed = line.trim();
    if (trimmed === "" || trimmed.startsWith("#") || trimmed === "---") return;
    if (configMap) {
      if (i <= dataHeader) return;
      const indent = line.search(/\S/);
      if (indent <= dataIndent) {
        dataIndent = Infinity; // the data block ended; ignore the rest of the manifest
        return;
      }
      if (dataIndent === Infinity) return;
    }
    const eq = trimmed.indexOf("=");
    const colon = trimmed.indexOf(":");
    if (!configMap && eq > 0 && (colon < 0 || eq < colon)) {
      const key = trimmed.slice(0, eq).replace(/^export\s+/, "").trim();
      if (!/^[A-Za-z_][A-Za-z0-9_.]*$/.test(key)) {
        errors.push({ line: n, message: `not a variable name: ${JSON.stringify(key)}` });
        return;
      }
      const parsed = envValue(trimmed.slice(eq + 1));
      if (parsed.error) errors.push({ line: n, message: `${key}: ${parsed.error}` });
      else {
        env[key] = parsed.value;
        lines[key] = n;
      }
      return;
    }
    const pair = /^([A-Za-z_][A-Za-z0-9_.-]*|"[^"]+"|'[^']+')\s*:(?:\s+(.*))?$/.exec(trimmed);
    if (pair) {
      const key = pair[1].replace(/^["']|["']$/g, "");
      const rest = (pair[2] ?? "").trim();
      if (/^[|>][-+]?$/.test(rest)) {
        block = { key, keyIndent: line.search(/\S/), start: n, parts: [], fold: rest.startsWith(">") };
        return;
      }
      const parsed = yamlValue(rest);
      if (parsed.error) errors.push({ line: n, message: `${key}: ${parsed.error}` });
      else {
        env[key] = parsed.value;
        lines[key] = n;
      }
      return;
    }
    errors.push({ line: n, message: "expected KEY=VALUE (or KEY: value in a ConfigMap)" });
  });
  if (block) {
    while (block.parts.length && block.parts[block.parts.length - 1] === "") block.parts.pop();
    flushBlock();
  }
  return { env, lines, errors };
}

// ---------------------------------------------------------------- DOM helpers

function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") el.className = v;
    else if (k === "dataset") Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

function show(value) {
  if (value === null || value === undefined) return "—";
  if (typeof value === "string") return value === "" ? '""' : value;
  return JSON.stringify(value);
}

/** A long value with line-break opportunities after `.` `/` `_` `,` `:` `=` `&` `?` (as `<wbr>`,
 * so its text stays the same): a narrow column wraps `django.db.backends.postgresql` at its dots,
 * never `development` in the middle. Short values are left whole. */
function breakable(text) {
  if (text.length <= 16) return text;
  return text.split(/(?<=[./_,:=&?])/).flatMap((part, i) => (i ? [h("wbr"), part] : [part]));
}

function cell(value, path, secrets) {
  const secret = secrets.has(path);
  return h("td", { class: secret ? "secret" : null, dataset: { path } }, breakable(show(value)));
}

function table(headers, rows, attrs = {}) {
  return h(
    "table",
    attrs,
    h("thead", {}, h("tr", {}, headers.map((x) => h("th", {}, x)))),
    h("tbody", {}, rows),
  );
}

function kvTable(obj, prefix, secrets, id) {
  if (!obj || typeof obj !== "object") return h("p", { class: "muted" }, "not configured");
  return table(
    ["setting", "value"],
    Object.entries(obj).map(([k, v]) => h("tr", {}, h("th", {}, k), cell(v, `${prefix}.${k}`, secrets))),
    { id },
  );
}

function setContent(id, ...nodes) {
  $(id).replaceChildren(...nodes);
}

// ---------------------------------------------------------------- rendering

function renderSummary(doc) {
  const env = doc.environment ?? {};
  const vault = doc.vault ?? {};
  const chips = [
    ["profile", doc.profile],
    ["where", env.kubernetes ? `in cluster, namespace ${env.namespace}` : "outside a cluster"],
    ["vault", vault.status + (vault.addr ? ` (${vault.addr})` : "")],
  ];
  if (doc.fallback?.active) chips.push(["fallback", doc.fallback.reason ?? "active"]);
  setContent(
    "summary",
    ...chips.map(([k, v]) => h("span", { class: `chip ${k === "fallback" ? "warn" : ""}` }, h("b", {}, k), " ", v)),
  );
}

function renderDatabases(doc, secrets) {
  const dbs = doc.django?.DATABASES ?? {};
  const cols = ["ENGINE", "HOST", "PORT", "NAME", "USER", "PASSWORD", "OPTIONS"];
  const rows = Object.entries(dbs).map(([alias, db]) =>
    h(
      "tr",
      { dataset: { alias } },
      h("th", {}, alias),
      cols.map((c) => {
        const td = cell(c === "OPTIONS" ? (db.OPTIONS && Object.keys(db.OPTIONS).length ? db.OPTIONS : null) : db[c], `django.DATABASES.${alias}.${c}`, secrets);
        td.dataset.col = c;
        return td;
      }),
    ),
  );
  setContent("databases", table(["alias", ...cols], rows, { id: "databases-table" }));
  // How Django holds the connections: the rest of each dict (the stack file's [django] keys).
  const conn = ["CONN_MAX_AGE", "CONN_HEALTH_CHECKS", "ATOMIC_REQUESTS", "DISABLE_SERVER_SIDE_CURSORS", "TEST"];
  const connRows = Object.entries(dbs).map(([alias, db]) =>
    h(
      "tr",
      { dataset: { alias } },
      h("th", {}, alias),
      conn.map((c) => {
        const td = cell(db[c], `django.DATABASES.${alias}.${c}`, secrets);
        td.dataset.col = c;
        return td;
      }),
    ),
  );
  // Long setting names may wrap after an underscore (never inside a word).
  const wrappable = (name) => name.split("_").flatMap((part, i) => (i ? [h("wbr"), "_" + part] : [part]));
  setContent(
    "connections",
    h("h3", {}, "Connections"),
    table(["alias", ...conn.map(wrappable)], connRows, { id: "connections-table" }),
  );
}

function renderRouting(doc) {
  const r = doc.routing ?? {};
  const apps = Object.entries(r.apps ?? {});
  const rows = apps.map(([app, route]) =>
    h("tr", { dataset: { app } }, h("th", {}, app), h("td", { dataset: { col: "read" } }, route.read), h("td", { dataset: { col: "write" } }, route.write), h("td", { dataset: { col: "migrate" } }, route.migrate)),
  );
  rows.push(h("tr", { class: "muted" }, h("th", {}, "(any other app)"), h("td", {}, r.default), h("td", {}, r.default), h("td", {}, r.default)));
  setContent(
    "routing",
    table(["app label", "reads", "writes", "migrations"], rows, { id: "routing-table" }),
    h("p", { class: "muted" }, "DATABASE_ROUTERS = ", JSON.stringify(doc.django?.DATABASE_ROUTERS ?? [])),
  );
}

function renderCaches(doc, secrets) {
  const caches = doc.django?.CACHES ?? {};
  setContent(
    "caches",
    table(
      ["alias", "BACKEND", "LOCATION"],
      Object.entries(caches).map(([k, c]) => h("tr", {}, h("th", {}, k), cell(c.BACKEND, `django.CACHES.${k}.BACKEND`, secrets), cell(c.LOCATION, `django.CACHES.${k}.LOCATION`, secrets))),
    ),
  );
  const layers = doc.django?.CHANNEL_LAYERS ?? {};
  setContent(
    "channels",
    table(
      ["alias", "BACKEND", "hosts"],
      Object.entries(layers).map(([k, c]) => h("tr", {}, h("th", {}, k), cell(c.BACKEND, `django.CHANNEL_LAYERS.${k}.BACKEND`, secrets), cell((c.CONFIG?.hosts ?? []).join(", "), `django.CHANNEL_LAYERS.${k}.CONFIG.hosts`, secrets))),
    ),
  );
}

function renderWarnings(doc) {
  const warnings = doc.warnings ?? [];
  setContent(
    "warnings",
    warnings.length
      ? h("ul", { class: "warnings" }, warnings.map((w) => h("li", {}, h("code", {}, w.code), " ", w.message, w.source ? h("span", { class: "muted" }, ` (${w.source})`) : null)))
      : h("p", { class: "muted" }, "none"),
  );
}

function renderPlan(answer) {
  if (!answer?.ok) {
    setContent("vault-plan", h("p", { class: "muted" }, answer?.error?.message ?? "no plan"));
    return;
  }
  const p = answer.plan;
  if (!p.settings) {
    setContent("vault-plan", h("p", { class: "muted" }, "Vault is not configured (no VAULT_ADDR and not in a cluster): nothing to read."));
    return;
  }
  const s = p.settings;
  setContent(
    "vault-plan",
    h("p", {}, "Vault at ", h("code", {}, s.addr), ` (from ${s.addr_source}), auth `, h("code", {}, s.auth), s.namespace ? ` , namespace ${s.namespace}` : ""),
    table(
      ["path", "kind", "for"],
      p.reads.map((r) => h("tr", {}, h("td", {}, h("code", {}, r.path)), h("td", {}, r.kind), h("td", {}, r.purpose))),
      { id: "plan-table" },
    ),
  );
}

function renderProvenance(doc, secrets) {
  const rows = Object.entries(doc.provenance ?? {}).map(([path, p]) =>
    h(
      "tr",
      {},
      h("td", {}, h("code", {}, breakable(path))),
      cell(p.value, path, secrets),
      h("td", { class: `src src-${p.source?.kind}` }, breakable(`${p.source?.kind}:${p.source?.name}`)),
      h("td", { class: "muted" }, breakable((p.overrode ?? []).map((o) => `${o.source.kind}:${o.source.name} = ${show(o.value)}`).join("; "))),
    ),
  );
  setContent("provenance", table(["path", "value", "source", "overrode"], rows, { id: "provenance-table" }));
}

// A small picture: app labels → aliases → services, plus cache/channels/RAGflow/RocketMQ → service.
function renderDiagram(doc) {
  const NS = "http://www.w3.org/2000/svg";
  const s = (tag, attrs, text) => {
    const el = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
    if (text !== undefined) el.textContent = text;
    return el;
  };
  const dbs = doc.django?.DATABASES ?? {};
  const routing = doc.routing ?? { apps: {} };
  const services = doc.services ?? {};
  const users = [
    ...Object.keys(routing.apps ?? {}).map((a) => ({ id: `app:${a}`, label: a, to: [`alias:${routing.apps[a].write}`] })),
    { id: "app:*", label: "other apps", to: [`alias:${routing.default}`] },
    { id: "use:caches", label: "CACHES", to: ["svc:dragonfly"] },
    { id: "use:channels", label: "CHANNEL_LAYERS", to: ["svc:dragonfly"] },
    { id: "use:ragflow", label: "RAGFLOW", to: ["svc:ragflow"] },
    { id: "use:rocketmq", label: "ROCKETMQ", to: ["svc:rocketmq"] },
  ];
  const aliasHost = (db) => `${db.HOST || db.NAME}${db.PORT !== "" && db.PORT !== undefined ? ":" + db.PORT : ""}`;
  const aliases = Object.entries(dbs).map(([a, db]) => {
    const svc = Object.entries(services).find(([, v]) => v.host === db.HOST && Number(v.port) === Number(db.PORT));
    return { id: `alias:${a}`, label: a, sub: aliasHost(db), to: [svc ? `svc:${svc[0]}` : `db:${a}`], extra: svc ? null : { id: `db:${a}`, label: db.ENGINE?.split(".").pop() ?? "database", sub: aliasHost(db) } };
  });
  const svcNodes = Object.entries(services).map(([name, v]) => ({ id: `svc:${name}`, label: name, sub: `${v.host}:${v.port}` }));
  for (const a of aliases) if (a.extra) svcNodes.push(a.extra);
  const cols = [users, aliases, svcNodes];
  const W = 760, boxW = 200, boxH = 34, gap = 10;
  const xs = [10, 280, 550];
  const height = Math.max(...cols.map((c) => c.length)) * (boxH + gap) + 10;
  const svg = s("svg", { viewBox: `0 0 ${W} ${height}`, width: "100%", role: "img", "aria-label": "services, aliases and routes", id: "stack-svg" });
  const pos = {};
  cols.forEach((col, ci) => col.forEach((n, i) => (pos[n.id] = { x: xs[ci], y: 5 + i * (boxH + gap) })));
  const edges = s("g", { class: "edges" });
  svg.append(edges);
  cols.flat().forEach((n) => {
    for (const t of n.to ?? []) {
      const a = pos[n.id], b = pos[t];
      if (!a || !b) continue;
      const x1 = a.x + boxW, y1 = a.y + boxH / 2, x2 = b.x, y2 = b.y + boxH / 2;
      edges.append(s("path", { d: `M${x1},${y1} C${x1 + 35},${y1} ${x2 - 35},${y2} ${x2},${y2}`, class: "edge" }));
    }
  });
  cols.forEach((col, ci) =>
    col.forEach((n) => {
      const p = pos[n.id];
      const g = s("g", { class: `node col${ci}`, "data-id": n.id });
      g.append(s("rect", { x: p.x, y: p.y, width: boxW, height: boxH, rx: 6 }));
      g.append(s("text", { x: p.x + 8, y: p.y + (n.sub ? 14 : 21), class: "label" }, n.label));
      if (n.sub) g.append(s("text", { x: p.x + 8, y: p.y + 28, class: "sub" }, n.sub.length > 32 ? n.sub.slice(0, 31) + "…" : n.sub));
      svg.append(g);
    }),
  );
  setContent("diagram", svg);
}

// ---------------------------------------------------------------- errors next to lines

function renderGutter(text, lineErrors) {
  const count = text.split(/\r?\n/).length;
  const gutter = $("env-gutter");
  const frag = document.createDocumentFragment();
  for (let n = 1; n <= count; n++) {
    frag.append(h("div", { class: lineErrors.has(n) ? "ln err" : "ln" }, lineErrors.has(n) ? `⚠ ${n}` : String(n)));
  }
  gutter.replaceChildren(frag);
  syncScroll();
}

function renderBubbles(lineErrors) {
  const bubbles = [...lineErrors.entries()].map(([line, messages]) =>
    h("div", { class: "line-error", role: "alert", title: messages.join("; "), dataset: { line: String(line) }, style: `top:${PAD_TOP + (line - 1) * LINE_HEIGHT}px` }, messages.join("; ")),
  );
  $("env-bubbles").replaceChildren(...bubbles);
  $("env-errors").replaceChildren(
    ...[...lineErrors.entries()].map(([line, messages]) => h("li", { dataset: { line: String(line) } }, h("b", {}, `line ${line}: `), messages.join("; "))),
  );
  syncScroll();
}

// The editor's scroll offset, kept from scroll events: reading `scrollTop` while rendering
// would force a synchronous layout of the whole page on every keystroke.
let editorScrollTop = 0;

function syncScroll() {
  $("env-gutter").style.transform = `translateY(${-editorScrollTop}px)`;
  $("env-bubbles").style.transform = `translateY(${-editorScrollTop}px)`;
}

// ---------------------------------------------------------------- the loop

// The settings.py text last shown: what "Copy as settings.py" copies.
let lastSettingsPy = "";

function update() {
  const text = $("env").value;
  const parsed = parseEnvironment(text);
  const lineErrors = new Map();
  const addLineError = (line, msg) => lineErrors.set(line, [...(lineErrors.get(line) ?? []), msg]);
  parsed.errors.forEach((e) => addLineError(e.line, e.message));

  const banner = $("error-banner");
  banner.hidden = true;

  let vault = {};
  const vaultText = $("vault").value.trim();
  const vaultError = $("vault-error");
  vaultError.hidden = true;
  if (vaultText) {
    try {
      vault = JSON.parse(vaultText);
    } catch (e) {
      vaultError.hidden = false;
      vaultError.textContent = `Vault answers are not valid JSON: ${e.message}`;
      vault = {};
    }
  }

  // The stack file: passed as written; its errors name stack.toml:line:column.
  const stackText = $("stack").value;
  const stack = stackText.trim() ? { name: "stack.toml", text: stackText } : null;
  const stackError = $("stack-error");
  stackError.hidden = true;

  const env = { ...parsed.env };
  const inCluster = $("incluster").checked;
  if (inCluster && !("KUBERNETES_SERVICE_HOST" in env)) env.KUBERNETES_SERVICE_HOST = "10.0.0.1";
  const call = {
    env,
    kubernetes: { token_present: inCluster, namespace_file: inCluster ? $("namespace").value.trim() || null : null },
    profile: $("profile").value || null,
    stack,
    vault,
    reveal: $("reveal").checked,
  };

  let answer;
  let planAnswer;
  try {
    answer = resolve(call);
    planAnswer = plan({ env: call.env, kubernetes: call.kubernetes, profile: call.profile, stack });
  } catch (e) {
    answer = { ok: false, error: { kind: "internal", message: String(e), source: "", exit_code: 2 } };
  }

  if (answer.ok) {
    const doc = answer.resolution;
    const secrets = new Set(answer.secret_paths ?? []);
    $("outputs").classList.remove("stale");
    renderSummary(doc);
    renderDiagram(doc);
    renderDatabases(doc, secrets);
    renderRouting(doc);
    renderCaches(doc, secrets);
    setContent("ragflow", kvTable(doc.ragflow, "ragflow", secrets, "ragflow-table"));
    setContent("rocketmq", kvTable(doc.rocketmq, "rocketmq", secrets, "rocketmq-table"));
    renderWarnings(doc);
    renderProvenance(doc, secrets);
    // The core's renderer (the CLI's `dbstack resolve --format django`), same call: masked
    // unless reveal is checked.
    const settings = django(call);
    lastSettingsPy = settings.ok ? settings.text : `# ${settings.error?.message ?? "no settings"}\n`;
    $("settings-py").textContent = lastSettingsPy;
  } else {
    const err = answer.error ?? {};
    const line = parsed.lines[err.source];
    if (line) addLineError(line, err.message);
    else if (stack && String(err.source ?? "").startsWith("stack.toml:")) {
      stackError.hidden = false;
      stackError.textContent = err.message; // it names stack.toml:line:column
      $("stack-box").open = true;
    } else {
      banner.hidden = false;
      banner.replaceChildren(h("b", {}, `${err.kind ?? "error"}: `), err.message ?? "unknown error", err.source ? h("span", { class: "muted" }, ` (source: ${err.source})`) : null);
    }
    $("outputs").classList.add("stale"); // keep the last good resolution visible, dimmed
  }
  renderPlan(planAnswer);
  renderGutter(text, lineErrors);
  renderBubbles(lineErrors);
  return answer;
}

async function main() {
  const t0 = performance.now();
  try {
    await init();
  } catch (e) {
    const banner = $("error-banner");
    banner.hidden = false;
    banner.textContent = `could not load the resolver (pkg/dbstack_wasm_bg.wasm): ${e}`;
    return;
  }
  const t1 = performance.now();
  const ta = $("env");
  if (!ta.value) ta.value = SAMPLE;
  let pending = false;
  const schedule = () => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      update();
    });
  };
  for (const id of ["env", "vault", "stack", "namespace"]) $(id).addEventListener("input", schedule);
  for (const id of ["profile", "incluster", "reveal"]) $(id).addEventListener("change", schedule);
  ta.addEventListener("scroll", () => {
    editorScrollTop = ta.scrollTop;
    syncScroll();
  });
  $("copy-settings").addEventListener("click", async () => {
    const text = lastSettingsPy;
    try {
      await navigator.clipboard.writeText(text);
      $("copy-status").textContent = "copied";
    } catch {
      $("settings-py").parentElement.open = true;
      $("copy-status").textContent = "clipboard unavailable: select the text below";
    }
  });
  update();
  const t2 = performance.now();
  // Read by the end-to-end test and the benchmark report.
  window.__dbstack = { wasmInitMs: t1 - t0, firstRenderMs: t2 - t1, readyAtMs: t2, update };
  document.body.dataset.ready = "true";
}

main();
