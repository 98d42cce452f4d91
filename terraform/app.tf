# The application workload and its ServiceAccount (kubernetes/app-deployment.yaml), and the
# post-deploy check Job (kubernetes/app-verify-job.yaml). The probes are httpGet on the health
# endpoints of dbstack.django.urls; verify_db_connections runs in the Job, never in a probe.

locals {
  verify_labels = merge(local.app_labels, {
    "app.kubernetes.io/name" = "agent-runtime-verify"
  })
}

resource "kubernetes_service_account_v1" "agent_runtime" {
  automount_service_account_token = true

  metadata {
    name      = "agent-runtime"
    namespace = var.namespace
    labels    = local.app_labels
  }
}

resource "kubernetes_network_policy_v1" "agent_runtime" {
  metadata {
    name      = "agent-runtime"
    namespace = var.namespace
    labels    = local.app_labels
  }

  spec {
    policy_types = ["Ingress"]

    pod_selector {
      match_labels = local.app_selector_labels
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
        port     = 8000
        protocol = "TCP"
      }
    }
  }
}

resource "kubernetes_deployment_v1" "agent_runtime" {
  # checkov:skip=CKV_K8S_43:images are pinned by tag to match the dbstack catalog; pin digests in your registry mirror
  # checkov:skip=CKV_K8S_38:the application logs in to Vault with its service-account token (Vault Kubernetes auth)
  wait_for_rollout = false

  metadata {
    name      = "agent-runtime"
    namespace = var.namespace
    labels    = local.app_labels
  }

  spec {
    replicas = 1

    selector {
      match_labels = local.app_selector_labels
    }

    template {
      metadata {
        labels = local.app_labels
      }

      spec {
        service_account_name            = "agent-runtime"
        automount_service_account_token = true

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
          name              = "app"
          image             = var.app_image
          image_pull_policy = "Always"

          port {
            name           = "http"
            container_port = 8000
            protocol       = "TCP"
          }

          env {
            name = "POD_NAMESPACE"

            value_from {
              field_ref {
                field_path = "metadata.namespace"
              }
            }
          }

          env_from {
            config_map_ref {
              name = "dbstack-database-config"
            }
          }

          # Django's ALLOWED_HOSTS must accept the Host header sent here (`localhost`). Startup:
          # up to 120 s, enough to wait out Vault's 429s (DBSTACK_VAULT_DEADLINE, 60 s).
          startup_probe {
            period_seconds    = 3
            timeout_seconds   = 5
            failure_threshold = 40

            http_get {
              path = "/healthz/ready"
              port = "http"

              http_header {
                name  = "Host"
                value = "localhost"
              }
            }
          }

          readiness_probe {
            period_seconds    = 10
            timeout_seconds   = 5
            failure_threshold = 3

            http_get {
              path = "/healthz/ready"
              port = "http"

              http_header {
                name  = "Host"
                value = "localhost"
              }
            }
          }

          liveness_probe {
            period_seconds    = 10
            timeout_seconds   = 5
            failure_threshold = 6

            http_get {
              path = "/healthz/live"
              port = "http"

              http_header {
                name  = "Host"
                value = "localhost"
              }
            }
          }

          resources {
            requests = {
              "cpu"    = "250m"
              "memory" = "512Mi"
            }
            limits   = {
              "cpu"    = "1"
              "memory" = "1Gi"
            }
          }

          security_context {
            run_as_non_root            = true
            run_as_user                = 10001
            allow_privilege_escalation = false
            privileged                 = false
            read_only_root_filesystem  = true

            capabilities {
              drop = ["ALL"]
            }

            seccomp_profile {
              type = "RuntimeDefault"
            }
          }

          volume_mount {
            name       = "tmp"
            mount_path = "/tmp"
          }
        }

        volume {
          name = "tmp"

          empty_dir {}
        }
      }
    }
  }
}

# The check serves nothing: no ingress to its pod.
resource "kubernetes_network_policy_v1" "agent_runtime_verify" {
  metadata {
    name      = "agent-runtime-verify"
    namespace = var.namespace
    labels    = local.verify_labels
  }

  spec {
    policy_types = ["Ingress"]

    pod_selector {
      match_labels = {
        "app.kubernetes.io/name"     = "agent-runtime-verify"
        "app.kubernetes.io/instance" = "dbstack"
      }
    }
  }
}

resource "kubernetes_job_v1" "agent_runtime_verify" {
  # checkov:skip=CKV_K8S_43:images are pinned by tag to match the dbstack catalog; pin digests in your registry mirror
  # checkov:skip=CKV_K8S_38:the check logs in to Vault with its service-account token (Vault Kubernetes auth)
  wait_for_completion = false

  metadata {
    name      = "agent-runtime-verify"
    namespace = var.namespace
    labels    = local.verify_labels
  }

  spec {
    backoff_limit              = 4
    active_deadline_seconds    = 600
    ttl_seconds_after_finished = "600"

    template {
      metadata {
        labels = local.verify_labels
      }

      spec {
        restart_policy                  = "Never"
        service_account_name            = "agent-runtime"
        automount_service_account_token = true

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
          name              = "verify"
          image             = var.app_image
          image_pull_policy = "Always"
          command           = ["python", "manage.py", "verify_db_connections", "--json"]

          env {
            name = "POD_NAMESPACE"

            value_from {
              field_ref {
                field_path = "metadata.namespace"
              }
            }
          }

          env_from {
            config_map_ref {
              name = "dbstack-database-config"
            }
          }

          resources {
            requests = {
              "cpu"    = "100m"
              "memory" = "256Mi"
            }
            limits = {
              "cpu"    = "500m"
              "memory" = "512Mi"
            }
          }

          security_context {
            run_as_non_root            = true
            run_as_user                = 10001
            allow_privilege_escalation = false
            privileged                 = false
            read_only_root_filesystem  = true

            capabilities {
              drop = ["ALL"]
            }

            seccomp_profile {
              type = "RuntimeDefault"
            }
          }

          volume_mount {
            name       = "tmp"
            mount_path = "/tmp"
          }
        }

        volume {
          name = "tmp"

          empty_dir {}
        }
      }
    }
  }
}
