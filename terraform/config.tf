# The ConfigMap of non-secret connection facts (kubernetes/database-config.yaml).

resource "kubernetes_config_map_v1" "dbstack_database_config" {
  data = {
    "DBSTACK_PROFILE"       = "production"
    "VAULT_ADDR"            = "http://vault:8200"
    "VAULT_AUTH_METHOD"     = "kubernetes"
    "VAULT_K8S_ROLE"        = "agent-runtime"
    "VAULT_K8S_MOUNT"       = "kubernetes"
    "SUPABASE_DB_HOST"      = "supabase-db"
    "SUPABASE_DB_PORT"      = "5432"
    "SUPABASE_DB_NAME"      = "postgres"
    "SUPABASE_DB_SSLMODE"   = "prefer"
    "DRAGONFLY_URL"         = "redis://dragonfly:6379/0"
    "RAGFLOW_URL"           = "http://ragflow:9380"
    "ROCKETMQ_NAMESRV_ADDR" = "rocketmq-namesrv:9876"
  }

  metadata {
    name      = "dbstack-database-config"
    namespace = var.namespace
    labels    = local.config_labels
  }
}
