//! The JSON Schema (draft 2020-12) of the `dbstack.resolution/v1` document.

use serde_json::{json, Value};

use crate::resolution::SCHEMA_ID;

fn host_port() -> Value {
    json!({
        "type": "object",
        "required": ["service", "host", "port"],
        "properties": {
            "service": {"type": ["string", "null"], "description": "Kubernetes Service name"},
            "host": {"type": "string"},
            "port": {"type": "integer", "minimum": 1, "maximum": 65535}
        }
    })
}

fn source() -> Value {
    json!({
        "type": "object",
        "required": ["kind", "name"],
        "properties": {
            "kind": {"enum": ["default", "stack", "kubernetes", "env", "vault", "override", "fallback"]},
            "name": {"type": "string"}
        }
    })
}

/// The schema, with `$id` naming the document format.
pub fn resolution_schema() -> Value {
    let database = json!({
        "type": "object",
        "required": ["NAME", "USER", "PASSWORD", "HOST", "PORT", "CONN_MAX_AGE",
                     "CONN_HEALTH_CHECKS", "DISABLE_SERVER_SIDE_CURSORS", "ENGINE"],
        "properties": {
            "NAME": {"type": "string"},
            "USER": {"type": "string"},
            "PASSWORD": {"type": "string", "description": "\"********\" unless revealed"},
            "HOST": {"type": "string"},
            "PORT": {"type": ["integer", "string"], "description": "an integer, or \"\" when unset (dj-database-url)"},
            "CONN_MAX_AGE": {"type": ["integer", "null"]},
            "CONN_HEALTH_CHECKS": {"type": "boolean"},
            "DISABLE_SERVER_SIDE_CURSORS": {"type": "boolean"},
            "ENGINE": {"type": "string"},
            "OPTIONS": {"type": "object"}
        }
    });
    let backend = |extra: Value| {
        let mut base = json!({"type": "object", "required": ["BACKEND"], "properties": {"BACKEND": {"type": "string"}}});
        if let (Some(props), Some(extra)) = (base["properties"].as_object_mut(), extra.as_object())
        {
            props.extend(extra.clone());
        }
        base
    };
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": format!("https://dbstack.dev/schema/{SCHEMA_ID}"),
        "title": "dbstack resolution",
        "type": "object",
        "required": ["schema", "profile", "environment", "vault", "fallback", "services", "django",
                     "routing", "ragflow", "rocketmq", "provenance", "warnings"],
        "properties": {
            "schema": {"const": SCHEMA_ID},
            "profile": {"enum": ["development", "production"]},
            "environment": {
                "type": "object",
                "required": ["kubernetes", "namespace", "cluster_domain"],
                "properties": {
                    "kubernetes": {"type": "boolean"},
                    "namespace": {"type": "string"},
                    "cluster_domain": {"type": "string"}
                }
            },
            "vault": {
                "type": "object",
                "required": ["enabled", "addr", "auth", "status", "error", "leases"],
                "properties": {
                    "enabled": {"type": "boolean"},
                    "addr": {"type": ["string", "null"]},
                    "auth": {"enum": ["token", "kubernetes", "approle", null]},
                    "status": {"enum": ["not_configured", "not_contacted", "ok", "failed"]},
                    "error": {"type": ["object", "null"]},
                    "leases": {"type": "array", "items": {
                        "type": "object",
                        "required": ["alias", "path", "lease_id", "lease_duration", "renewable"]
                    }}
                }
            },
            "fallback": {
                "type": "object",
                "required": ["active", "reason"],
                "properties": {"active": {"type": "boolean"}, "reason": {"type": ["string", "null"]}}
            },
            "services": {
                "type": "object",
                "required": ["supabase", "dragonfly", "ragflow", "rocketmq", "vault"],
                "additionalProperties": host_port()
            },
            "django": {
                "type": "object",
                "required": ["DATABASES", "DATABASE_ROUTERS", "CACHES", "CHANNEL_LAYERS"],
                "properties": {
                    "DATABASES": {"type": "object", "required": ["default"], "additionalProperties": database},
                    "DATABASE_ROUTERS": {"type": "array", "items": {"type": "string"}},
                    "CACHES": {"type": "object", "additionalProperties": backend(json!({"LOCATION": {"type": "string"}}))},
                    "CHANNEL_LAYERS": {"type": "object", "additionalProperties": backend(json!({"CONFIG": {"type": "object"}}))}
                }
            },
            "routing": {
                "type": "object",
                "required": ["default", "aliases", "apps"],
                "properties": {
                    "default": {"type": "string"},
                    "aliases": {"type": "array", "items": {"type": "string"}},
                    "apps": {"type": "object", "additionalProperties": {
                        "type": "object",
                        "required": ["read", "write", "migrate"],
                        "properties": {"read": {"type": "string"}, "write": {"type": "string"}, "migrate": {"type": "string"}}
                    }}
                }
            },
            "ragflow": {
                "type": "object",
                "required": ["BASE_URL", "API_KEY", "HEALTH_URL"]
            },
            "rocketmq": {
                "type": "object",
                "required": ["NAMESRV_ADDR", "BROKER_ADDR", "ACCESS_KEY", "SECRET_KEY"]
            },
            "provenance": {
                "type": "object",
                "additionalProperties": {
                    "type": "object",
                    "required": ["value", "source", "overrode"],
                    "properties": {
                        "source": source(),
                        "overrode": {"type": "array", "items": {"type": "object", "required": ["source", "value"], "properties": {"source": source()}}}
                    }
                }
            },
            "warnings": {"type": "array", "items": {
                "type": "object",
                "required": ["code", "message", "source"],
                "properties": {"code": {"type": "string"}, "message": {"type": "string"}, "source": {"type": ["string", "null"]}}
            }}
        }
    })
}
