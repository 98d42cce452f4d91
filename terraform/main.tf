# Root module: the whole dbstack stack in one namespace, the ConfigMap of connection facts
# and the application workload. Mirrors kubernetes/ resource for resource.

locals {
  namespace_labels = {
    "app.kubernetes.io/name"             = "dbstack"
    "app.kubernetes.io/part-of"          = "dbstack"
    "pod-security.kubernetes.io/enforce" = "restricted"
  }
  config_labels = {
    "app.kubernetes.io/name"      = "dbstack-database-config"
    "app.kubernetes.io/instance"  = "dbstack"
    "app.kubernetes.io/component" = "config"
    "app.kubernetes.io/part-of"   = "dbstack"
    "app.kubernetes.io/version"   = "0.1.0"
  }
  app_labels = {
    "app.kubernetes.io/name"      = "agent-runtime"
    "app.kubernetes.io/instance"  = "dbstack"
    "app.kubernetes.io/component" = "application"
    "app.kubernetes.io/part-of"   = "dbstack"
    "app.kubernetes.io/version"   = "0.1.0"
  }
  app_selector_labels = {
    "app.kubernetes.io/name"     = "agent-runtime"
    "app.kubernetes.io/instance" = "dbstack"
  }
}

resource "kubernetes_namespace_v1" "dbstack" {
  metadata {
    name   = var.namespace
    labels = local.namespace_labels
  }
}

module "supabase" {
  source     = "./modules/supabase"
  namespace  = kubernetes_namespace_v1.dbstack.metadata[0].name
  depends_on = [kubernetes_namespace_v1.dbstack]
}

module "dragonfly" {
  source     = "./modules/dragonfly"
  namespace  = kubernetes_namespace_v1.dbstack.metadata[0].name
  depends_on = [kubernetes_namespace_v1.dbstack]
}

module "ragflow" {
  source     = "./modules/ragflow"
  namespace  = kubernetes_namespace_v1.dbstack.metadata[0].name
  depends_on = [kubernetes_namespace_v1.dbstack]
}

module "rocketmq" {
  source     = "./modules/rocketmq"
  namespace  = kubernetes_namespace_v1.dbstack.metadata[0].name
  depends_on = [kubernetes_namespace_v1.dbstack]
}

module "vault" {
  source     = "./modules/vault"
  namespace  = kubernetes_namespace_v1.dbstack.metadata[0].name
  depends_on = [kubernetes_namespace_v1.dbstack]
}
