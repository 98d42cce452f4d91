# RAGflow: the `ragflow` Service (HTTP API, port 9380) and its Deployment.
# Same names, ports, labels, images and probes as kubernetes/ragflow-deployment.yaml; `dbstack check-infra` compares them.

locals {
  labels = {
    "app.kubernetes.io/name"      = "ragflow"
    "app.kubernetes.io/instance"  = "dbstack"
    "app.kubernetes.io/component" = "rag"
    "app.kubernetes.io/part-of"   = "dbstack"
    "app.kubernetes.io/version"   = "v0.17.2-slim"
  }
  selector_labels = {
    "app.kubernetes.io/name"     = "ragflow"
    "app.kubernetes.io/instance" = "dbstack"
  }
}

resource "kubernetes_service_v1" "ragflow" {
  metadata {
    name      = "ragflow"
    namespace = var.namespace
    labels    = local.labels
  }

  spec {
    type     = "ClusterIP"
    selector = local.selector_labels

    port {
      name        = "http"
      port        = 9380
      target_port = 9380
      protocol    = "TCP"
    }
  }
}

resource "kubernetes_network_policy_v1" "ragflow" {
  metadata {
    name      = "ragflow"
    namespace = var.namespace
    labels    = local.labels
  }

  spec {
    policy_types = ["Ingress"]

    pod_selector {
      match_labels = local.selector_labels
    }

    ingress {
      from {
        pod_selector {
          match_labels = {
            "app.kubernetes.io/part-of" = "dbstack"
          }
        }
      }

      ports {
        port     = 9380
        protocol = "TCP"
      }
    }
  }
}

resource "kubernetes_deployment_v1" "ragflow" {
  # checkov:skip=CKV_K8S_43:images are pinned by tag to match the dbstack catalog; pin digests in your registry mirror
  # checkov:skip=CKV_K8S_22:RAGflow writes logs, nginx state and model caches inside its image directories
  wait_for_rollout = false

  metadata {
    name      = "ragflow"
    namespace = var.namespace
    labels    = local.labels
  }

  spec {
    replicas = 1

    selector {
      match_labels = local.selector_labels
    }

    template {
      metadata {
        labels = local.labels
      }

      spec {
        automount_service_account_token = false

        security_context {
          run_as_non_root = true
          run_as_user     = 10001
          run_as_group    = 10001
          fs_group        = 10001

          seccomp_profile {
            type = "RuntimeDefault"
          }
        }

        container {
          name              = "ragflow"
          image             = var.image
          image_pull_policy = "Always"

          port {
            name           = "http"
            container_port = 9380
            protocol       = "TCP"
          }

          liveness_probe {
            initial_delay_seconds = 60
            period_seconds        = 10
            timeout_seconds       = 5
            failure_threshold     = 6

            http_get {
              path = "/api/v1/system/ping"
              port = 9380
            }
          }

          readiness_probe {
            initial_delay_seconds = 30
            period_seconds        = 10
            timeout_seconds       = 5
            failure_threshold     = 6

            http_get {
              path = "/api/v1/system/healthz"
              port = 9380
            }
          }

          resources {
            requests = {
              "cpu"    = "500m"
              "memory" = "2Gi"
            }
            limits   = {
              "cpu"    = "4"
              "memory" = "8Gi"
            }
          }

          security_context {
            run_as_non_root            = true
            run_as_user                = 10001
            allow_privilege_escalation = false
            privileged                 = false
            read_only_root_filesystem  = false

            capabilities {
              drop = ["ALL"]
            }

            seccomp_profile {
              type = "RuntimeDefault"
            }
          }

          volume_mount {
            name       = "service-conf"
            mount_path = "/ragflow/conf/service_conf.yaml"
            sub_path   = "service_conf.yaml"
            read_only  = true
          }
        }

        volume {
          name = "service-conf"

          secret {
            secret_name = "ragflow-service-conf"
          }
        }
      }
    }
  }
}
