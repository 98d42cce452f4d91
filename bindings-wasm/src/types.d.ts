/** Inputs of one resolution; every field is optional. */
export interface Inputs {
  /** The process environment (or a pasted `.env`). */
  env?: Record<string, string>;
  /** Facts about the pod that only its filesystem can tell. */
  kubernetes?: { token_present?: boolean; namespace_file?: string | null };
  /** A stack file: its name (for messages) and its TOML text. */
  stack?: { name: string; text: string } | null;
  /** "development" | "production"; beats DBSTACK_PROFILE. */
  profile?: string | null;
  /** Explicit overrides keyed by provenance path, e.g. "django.DATABASES.default.HOST". */
  overrides?: Record<string, string>;
}

export type AuthMethod = "token" | "kubernetes" | "approle" | "agent";

export interface VaultFailure {
  kind: string;
  source: string;
  status?: number | null;
  message: string;
}

export type VaultStatus =
  | { state: "not_contacted" }
  | { state: "ok" }
  | { state: "failed"; error: VaultFailure };

export type VaultResult =
  | { kind: "kv2"; data: Record<string, string> }
  | {
      kind: "database_creds";
      username: string;
      password: string;
      lease_id: string;
      lease_duration: number;
      renewable: boolean;
    };

/** What the runtime (or a person pasting them) brings back from Vault. */
export interface VaultAnswers {
  status?: VaultStatus;
  auth?: AuthMethod | null;
  /** Keyed by the read's `path`, e.g. "secret/dbstack/supabase". */
  results?: Record<string, VaultResult>;
  warnings?: string[];
}

export interface ResolveCall extends Inputs {
  vault?: VaultAnswers;
  /** Reveal secrets in the document. */
  reveal?: boolean;
}

export interface Diagnostic {
  /** "invalid_variable" | "invalid_url" | "invalid_stack" | "invalid_override" | "vault_required" | ... */
  kind: string;
  message: string;
  /** The variable, `file:line:column` or Vault path the bad value came from. */
  source: string;
  exit_code: number;
}

export interface Failure {
  ok: false;
  error: Diagnostic;
}

export interface Source {
  kind: "override" | "vault" | "env" | "kubernetes" | "stack" | "default" | "fallback" | "file" | "env-file";
  name: string;
}

export interface Provenance {
  value: unknown;
  source: Source;
  overrode: { source: Source; value: unknown }[];
}

export interface DatabaseSettings {
  ENGINE: string;
  NAME: string;
  USER: string;
  PASSWORD: string;
  HOST: string;
  /** A number; `""` when unset; a string (`"1521"`) for oracle, mssql and mssqlms URLs (dj-database-url). */
  PORT: number | string;
  CONN_MAX_AGE: number | null;
  CONN_HEALTH_CHECKS: boolean;
  DISABLE_SERVER_SIDE_CURSORS: boolean;
  /** Present when the stack file sets `atomic_requests`. */
  ATOMIC_REQUESTS?: boolean;
  /** Django's `TEST` dict, present when the stack file sets `test`. */
  TEST?: Record<string, unknown>;
  OPTIONS?: Record<string, unknown>;
}

export interface Lease {
  alias: string;
  path: string;
  lease_id: string;
  lease_duration: number;
  renewable: boolean;
}

export interface Warning {
  code: string;
  message: string;
  source: string | null;
}

/** The `dbstack.resolution/v1` document. */
export interface Resolution {
  schema: "dbstack.resolution/v1";
  profile: "development" | "production";
  environment: { kubernetes: boolean; namespace: string; cluster_domain: string };
  vault: {
    enabled: boolean;
    addr: string | null;
    auth: string | null;
    status: "not_configured" | "not_contacted" | "ok" | "failed";
    error: { kind: string; source: string; status: number | null; message: string } | null;
    leases: Lease[];
  };
  fallback: { active: boolean; reason: string | null };
  services: Record<string, { service: string; host: string; port: number }>;
  django: {
    DATABASES: Record<string, DatabaseSettings>;
    DATABASE_ROUTERS: string[];
    CACHES: Record<string, { BACKEND: string; LOCATION: string }>;
    CHANNEL_LAYERS: Record<string, { BACKEND: string; CONFIG: { hosts: string[] } }>;
  };
  routing: {
    default: string;
    aliases: string[];
    apps: Record<string, { read: string; write: string; migrate: string }>;
  };
  ragflow: { BASE_URL: string; API_KEY: string; HEALTH_URL: string };
  rocketmq: { NAMESRV_ADDR: string; BROKER_ADDR: string; ACCESS_KEY: string; SECRET_KEY: string };
  provenance: Record<string, Provenance>;
  warnings: Warning[];
}

export type ResolveAnswer =
  | { ok: true; resolution: Resolution; secret_paths: string[] }
  | Failure;

export interface VaultRead {
  path: string;
  api_path: string;
  kind: "kv2" | "database_creds";
  mount: string;
  secret?: string;
  role?: string;
  purpose: string;
}

export interface VaultPlan {
  settings: {
    addr: string;
    addr_source: string;
    auth: AuthMethod;
    namespace: string | null;
    [key: string]: unknown;
  } | null;
  reads: VaultRead[];
}

export type PlanAnswer = { ok: true; plan: VaultPlan } | Failure;

export interface ExplainRow {
  path: string;
  value: unknown;
  source: Source;
  overrode: { source: Source; value: unknown }[];
}

export type ExplainAnswer = { ok: true; text: string; rows: ExplainRow[] } | Failure;

/** `text`: a `settings.py` snippet, the CLI's `dbstack resolve --format django`. */
export type DjangoAnswer = { ok: true; text: string } | Failure;

/** Resolves environment, Kubernetes facts, stack file and Vault answers to the document.
 * Never throws: every error, including an input JSON cannot carry, is an `{ok: false}` answer. */
export function resolve(input?: ResolveCall | string | null): ResolveAnswer;
/** The JSON Schema of the `dbstack.resolution/v1` document. */
export function schema(): object;
/** The Vault reads a resolution of these inputs needs (never throws). */
export function plan(input?: Inputs | string | null): PlanAnswer;
/** Every resolved value with its source and what it overrode, as a table and as rows (never throws). */
export function explain(input?: ResolveCall | string | null): ExplainAnswer;
/** The resolution as a `settings.py` snippet (`DATABASES`, `DATABASE_ROUTERS`, `CACHES`,
 * `CHANNEL_LAYERS`, `RAGFLOW`, `ROCKETMQ` as Python literals, warnings as comments), the same
 * text as `dbstack resolve --format django`; secrets masked unless `reveal` (never throws). */
export function django(input?: ResolveCall | string | null): DjangoAnswer;
