// Compiled by scripts/release.sh with `tsc --noEmit` inside the fresh project: the declarations
// are found through package.json's `exports` (Node16 resolution) for both builds.
import { resolve, version } from "dbstack";
import type { ResolveAnswer, Resolution } from "dbstack";
import init, { resolve as resolveWeb } from "dbstack/web";

const answer: ResolveAnswer = resolve({ env: { SUPABASE_DB_HOST: "db" }, profile: "development" });
if (answer.ok) {
  const doc: Resolution = answer.resolution;
  void doc.django.DATABASES["default"]?.HOST;
}
const v: string = version();
async function browser(): Promise<string> {
  await init();
  const web: ResolveAnswer = resolveWeb("{}");
  return web.ok ? web.resolution.schema : web.error.message;
}
void [v, browser];
