// The secret sentinel (issue 15) for the JavaScript tests (the WASM package's Node.js tests, the
// browser test, the npm package's smoke test): the JS twin of tests/sentinel.rs. Every secret a
// test hands to dbstack contains the sentinel of tests/sentinel.txt (the file next to this one),
// and what dbstack returned is recorded in $DBSTACK_LOGS/outputs/<file>.log, which the test
// command's last step (scripts/sentinel.py) scans. Nothing is recorded when DBSTACK_LOGS is unset.
import { appendFileSync, mkdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const SENTINEL = readFileSync(join(dirname(fileURLToPath(import.meta.url)), "sentinel.txt"), "ascii").trim();

/** A test secret: `<tag>-<sentinel>`. */
export const secret = (tag) => `${tag}-${SENTINEL}`;

// The marker lines scripts/sentinel.py excludes exactly the lines between.
export const ALLOW_BEGIN = "dbstack-sentinel: deliberately revealed output begins";
export const ALLOW_END = "dbstack-sentinel: deliberately revealed output ends";

/**
 * Appends `output` (text, or an answer written as indented JSON, its `text` field, explain's
 * table, written out as lines too) to $DBSTACK_LOGS/outputs/<file>.log under the title `what`
 * (never a secret). Output that shows secrets on purpose (`reveals`) is fenced.
 */
export function record(file, what, output, reveals = false) {
  const logs = process.env.DBSTACK_LOGS;
  if (!logs) return;
  let text = typeof output === "string" ? output : JSON.stringify(output, null, 2) ?? String(output);
  if (typeof output?.text === "string") text += `\n--- text\n${output.text}`;
  const lines = [`==> ${what}`, reveals && ALLOW_BEGIN, text, reveals && ALLOW_END].filter((l) => l !== false);
  mkdirSync(join(logs, "outputs"), { recursive: true });
  appendFileSync(join(logs, "outputs", `${file}.log`), lines.join("\n") + "\n");
}

/**
 * Calls `fn(call)` (an export of the package: resolve, plan, explain), records its answer, and
 * returns it. The title is the export and the call's keys; a call with `reveal: true` is fenced.
 */
export function recorded(file, fn, call) {
  const answer = fn(call);
  let parsed = call;
  if (typeof call === "string") {
    try {
      parsed = JSON.parse(call);
    } catch {
      parsed = null;
    }
  }
  const keys = parsed !== null && typeof parsed === "object" ? Object.keys(parsed).join(", ") : typeof call;
  record(file, `${fn.name}(${keys})`, answer, parsed?.reveal === true);
  return answer;
}
