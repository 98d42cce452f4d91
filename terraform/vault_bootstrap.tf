# The Vault set-up Job and its ServiceAccount (kubernetes/vault-bootstrap-job.yaml): runs
# `dbstack vault bootstrap` with the administrator's token from the Secret
# `vault-bootstrap-token`, which the operator creates after initialising Vault (README,
# "Deployment"). `dbstack check-infra` checks `--role` against VAULT_K8S_ROLE and
# `--service-account` against the application's ServiceAccount.

locals {
  vault_bootstrap_labels = {
    "app.kubernetes.io/name"      = "vault-bootstrap"
    "app.kubernetes.io/instance"  = "dbstack"
    "app.kubernetes.io/component" = "setup"
    "app.kubernetes.io/part-of"   = "dbstack"
    "app.kubernetes.io/version"   = "0.1.0"
  }
}

resource "kubernetes_service_account_v1" "vault_bootstrap" {
  automount_service_account_token = false

  metadata {
    name      = "vault-bootstrap"
    namespace = var.namespace
    labels    = local.vault_bootstrap_labels
  }

  depends_on = [kubernetes_namespace_v1.dbstack]
}

# The Job serves nothing: no ingress at all.
resource "kubernetes_network_policy_v1" "vault_bootstrap" {
  metadata {
    name      = "vault-bootstrap"
    namespace = var.namespace
    labels    = local.vault_bootstrap_labels
  }

  spec {
    policy_types = ["Ingress"]

    pod_selector {
      match_labels = {
        "app.kubernetes.io/name"     = "vault-bootstrap"
        "app.kubernetes.io/instance" = "dbstack"
      }
    }
  }

  depends_on = [kubernetes_namespace_v1.dbstack]
}

resource "kubernetes_job_v1" "vault_bootstrap" {
  # checkov:skip=CKV_K8S_43:images are pinned by tag to match the dbstack release; pin digests in your registry mirror
  # checkov:skip=CKV_K8S_35:--from-env copies these values into Vault once; dbstack reads them from the environment
  wait_for_completion = false

  metadata {
    name      = "vault-bootstrap"
    namespace = var.namespace
    labels    = local.vault_bootstrap_labels
  }

  spec {
    backoff_limit              = 10
    ttl_seconds_after_finished = 86400

    template {
      metadata {
        labels = local.vault_bootstrap_labels
      }

      spec {
        service_account_name            = kubernetes_service_account_v1.vault_bootstrap.metadata[0].name
        automount_service_account_token = false
        restart_policy                  = "OnFailure"

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
          name              = "bootstrap"
          image             = var.dbstack_image
          image_pull_policy = "Always"
          args = [
            "vault",
            "bootstrap",
            "--auth=kubernetes",
            "--role=agent-runtime",
            "--service-account=agent-runtime",
            "--namespace=${var.namespace}",
            "--kubernetes-host=https://kubernetes.default.svc",
            "--from-env",
          ]

          env {
            name  = "VAULT_ADDR"
            value = "http://vault:8200"
          }

          env {
            name  = "HOME"
            value = "/var/run/secrets/vault-bootstrap"
          }

          env {
            name  = "SUPABASE_DB_USER"
            value = "postgres"
          }

          env {
            name = "SUPABASE_DB_PASSWORD"

            value_from {
              secret_key_ref {
                name = "supabase-db-credentials"
                key  = "password"
              }
            }
          }

          env_from {
            config_map_ref {
              name = "dbstack-database-config"
            }
          }

          env_from {
            secret_ref {
              name     = "vault-bootstrap-env"
              optional = true
            }
          }

          liveness_probe {
            initial_delay_seconds = 5
            period_seconds        = 30
            timeout_seconds       = 5
            failure_threshold     = 3

            exec {
              command = ["dbstack", "--version"]
            }
          }

          readiness_probe {
            initial_delay_seconds = 5
            period_seconds        = 30
            timeout_seconds       = 5
            failure_threshold     = 3

            exec {
              command = ["dbstack", "--version"]
            }
          }

          resources {
            requests = {
              "cpu"    = "50m"
              "memory" = "64Mi"
            }
            limits = {
              "cpu"    = "500m"
              "memory" = "256Mi"
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
            name       = "admin-token"
            mount_path = "/var/run/secrets/vault-bootstrap"
            read_only  = true
          }
        }

        volume {
          name = "admin-token"

          secret {
            secret_name = "vault-bootstrap-token"

            items {
              key  = "token"
              path = ".vault-token"
            }
          }
        }
      }
    }
  }
}
