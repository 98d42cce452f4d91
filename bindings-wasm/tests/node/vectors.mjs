// The shared corpus tests/vectors/*.json in JS: a small copy of tests/vectors/check.rs
// (same rules; see tests/vectors/README.md), used by api.test.mjs through the JS exports.

/** [name, case] of every case, in the order of check.rs's corpus(). */
export function corpus(dir, readdirSync, readFileSync) {
  const files = readdirSync(dir).filter((f) => f.endsWith(".json")).sort();
  const cases = [];
  for (const file of files) {
    const doc = JSON.parse(readFileSync(`${dir}/${file}`, "utf8"));
    for (const c of doc.cases) cases.push([`${doc.group}: ${c.name}`, c]);
  }
  return cases;
}

export function lookup(node, dotted) {
  for (const seg of dotted.split(".")) {
    if (Array.isArray(node)) {
      if (!/^\d+$/.test(seg) || Number(seg) >= node.length) return undefined;
      node = node[Number(seg)];
    } else if (node !== null && typeof node === "object") {
      if (!Object.prototype.hasOwnProperty.call(node, seg)) return undefined;
      node = node[seg];
    } else return undefined;
  }
  return node;
}

/** JSON equality as serde_json's Value ==: object key order does not matter. */
export function jsonEqual(a, b) {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== "object") return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) return a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]));
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && jsonEqual(a[k], b[k]));
}

const sourceText = (s) => `${s?.kind ?? ""}:${s?.name ?? ""}`;
const show = (v) => (v === undefined ? "<absent>" : JSON.stringify(v));

/** The failures of one case against a resolve answer and a plan answer (check.rs's check()). */
export function check(c, answer, plan) {
  const fails = [];
  const expect = c.expect ?? {};
  if (expect.plan && plan) {
    if (plan.ok !== true) fails.push(`plan failed: ${JSON.stringify(plan)}`);
    else {
      for (const [path, want] of Object.entries(expect.plan)) {
        const got = lookup(plan.plan, path);
        if (!jsonEqual(got, want)) fails.push(`plan.${path}: want ${show(want)}, got ${show(got)}`);
      }
      for (const path of expect.plan_absent ?? []) {
        if (lookup(plan.plan, path) !== undefined) fails.push(`plan.${path} should be absent`);
      }
    }
  }
  if (expect.error) {
    if (answer.ok !== false) return [...fails, `expected error ${JSON.stringify(expect.error)}, got a resolution`];
    for (const key of ["kind", "source", "exit_code"]) {
      if (!jsonEqual(answer.error[key], expect.error[key])) fails.push(`error.${key}: want ${show(expect.error[key])}, got ${show(answer.error[key])} (${answer.error.message})`);
    }
    for (const s of expect.error_excludes ?? []) {
      if ((answer.error.message ?? "").includes(s)) fails.push(`error message leaks ${s}`);
    }
    return fails;
  }
  if (answer.ok !== true) return [...fails, `unexpected error: ${JSON.stringify(answer.error)}`];
  const doc = answer.resolution;
  for (const [path, want] of Object.entries(expect.values ?? {})) {
    const got = lookup(doc, path);
    if (!jsonEqual(got, want)) fails.push(`${path}: want ${show(want)}, got ${show(got)}`);
  }
  for (const path of expect.absent ?? []) {
    if (lookup(doc, path) !== undefined) fails.push(`${path} should be absent`);
  }
  for (const [path, want] of Object.entries(expect.sources ?? {})) {
    const p = doc.provenance[path];
    const got = p ? sourceText(p.source) : undefined;
    if (got !== want) fails.push(`source of ${path}: want ${want}, got ${got}`);
  }
  for (const [path, want] of Object.entries(expect.overrode ?? {})) {
    const got = (doc.provenance[path]?.overrode ?? []).map((o) => sourceText(o.source));
    if (!jsonEqual(got, want)) fails.push(`overrode of ${path}: want ${JSON.stringify(want)}, got ${JSON.stringify(got)}`);
  }
  const codes = doc.warnings.map((w) => w.code);
  for (const code of expect.warnings ?? []) if (!codes.includes(code)) fails.push(`missing warning ${code} (have ${codes})`);
  for (const code of expect.no_warnings ?? []) if (codes.includes(code)) fails.push(`unexpected warning ${code}`);
  for (const path of expect.secret_paths ?? []) {
    if (!(answer.secret_paths ?? []).includes(path)) fails.push(`${path} is not among secret_paths`);
  }
  const text = JSON.stringify(doc);
  for (const s of expect.output_excludes ?? []) if (text.includes(s)) fails.push(`the masked document leaks ${s}`);
  return fails;
}
