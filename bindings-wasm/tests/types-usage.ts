// Compiled by `tsc --noEmit` in scripts/suites/wasm.sh: the generated declarations
// (pkg/node/dbstack_wasm.d.ts) must describe the call, the answers and the document.
import { resolve, plan, explain, django, schema, version } from "../pkg/node/dbstack_wasm";
import type { ResolveCall, ResolveAnswer, Resolution, DatabaseSettings, PlanAnswer, ExplainAnswer, DjangoAnswer } from "../pkg/node/dbstack_wasm";

const call: ResolveCall = {
  env: { SUPABASE_DB_HOST: "db", SUPABASE_DB_PORT: "5432" },
  kubernetes: { token_present: false, namespace_file: null },
  profile: "development",
  vault: { status: { state: "not_contacted" }, results: {} },
  reveal: false,
};

const answer: ResolveAnswer = resolve(call);
if (answer.ok) {
  const doc: Resolution = answer.resolution;
  const db: DatabaseSettings | undefined = doc.django.DATABASES["default"];
  const port: number | string | undefined = db?.PORT;
  // Present when the stack file sets them.
  const atomic: boolean | undefined = db?.ATOMIC_REQUESTS;
  const test: Record<string, unknown> | undefined = db?.TEST;
  const maxAge: number | null | undefined = db?.CONN_MAX_AGE;
  void [atomic, test, maxAge];
  const route: string | undefined = doc.routing.apps["python_agent"]?.read;
  const masked: string[] = answer.secret_paths;
  void [port, route, masked, doc.provenance["django.DATABASES.default.HOST"]?.source.kind];
} else {
  const where: string = answer.error.source;
  const code: number = answer.error.exit_code;
  void [where, code];
}

const fromText: ResolveAnswer = resolve(JSON.stringify(call));
const p: PlanAnswer = plan({ env: {} });
if (p.ok) void p.plan.reads.map((r) => r.path);
const e: ExplainAnswer = explain(call);
if (e.ok) void e.rows.map((row) => `${row.path} ${row.source.kind}:${row.source.name}`);
const d: DjangoAnswer = django(call);
const settingsPy: string = d.ok ? d.text : d.error.message;
void settingsPy;
const s: object = schema();
void [fromText, s];

const v: string = version();
void v;
