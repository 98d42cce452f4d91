# Vault: the `vault` Service (8200), its StatefulSet and configuration, and the `vault` ServiceAccount bound to `system:auth-delegator` for the Kubernetes auth method.
# Same names, ports, labels, images and probes as kubernetes/vault-deployment.yaml; `dbstack check-infra` compares them.

locals {
  labels = {
    "app.kubernetes.io/name"      = "vault"
    "app.kubernetes.io/instance"  = "dbstack"
    "app.kubernetes.io/component" = "secrets"
    "app.kubernetes.io/part-of"   = "dbstack"
    "app.kubernetes.io/version"   = "1.18.3"
  }
  selector_labels = {
    "app.kubernetes.io/name"     = "vault"
    "app.kubernetes.io/instance" = "dbstack"
  }
}

resource "kubernetes_service_account_v1" "vault" {
  automount_service_account_token = true

  metadata {
    name      = "vault"
    namespace = var.namespace
    labels    = local.labels
  }
}

resource "kubernetes_cluster_role_binding_v1" "vault_auth_delegator" {
  metadata {
    name   = "vault-auth-delegator"
    labels = local.labels
  }

  role_ref {
    api_group = "rbac.authorization.k8s.io"
    kind      = "ClusterRole"
    name      = "system:auth-delegator"
  }

  subject {
    kind      = "ServiceAccount"
    name      = "vault"
    namespace = var.namespace
  }
}

resource "kubernetes_config_map_v1" "vault_config" {
  data = {
    "vault.hcl" = "ui = false\ndisable_mlock = true\napi_addr = \"http://vault:8200\"\n\nlistener \"tcp\" {\n  address     = \"0.0.0.0:8200\"\n  tls_disable = true\n}\n\nstorage \"file\" {\n  path = \"/vault/data\"\n}\n"
  }

  metadata {
    name      = "vault-config"
    namespace = var.namespace
    labels    = local.labels
  }
}

resource "kubernetes_service_v1" "vault" {
  metadata {
    name      = "vault"
    namespace = var.namespace
    labels    = local.labels
  }

  spec {
    type     = "ClusterIP"
    selector = local.selector_labels

    port {
      name        = "http"
      port        = 8200
      target_port = 8200
      protocol    = "TCP"
    }
  }
}

resource "kubernetes_network_policy_v1" "vault" {
  metadata {
    name      = "vault"
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
        port     = 8200
        protocol = "TCP"
      }
    }
  }
}

resource "kubernetes_stateful_set_v1" "vault" {
  # checkov:skip=CKV_K8S_43:images are pinned by tag to match the dbstack catalog; pin digests in your registry mirror
  # checkov:skip=CKV_K8S_38:Vault's Kubernetes auth reads its own service-account token to call the TokenReview API
  wait_for_rollout = false

  metadata {
    name      = "vault"
    namespace = var.namespace
    labels    = local.labels
  }

  spec {
    replicas     = 1
    service_name = "vault"

    selector {
      match_labels = local.selector_labels
    }

    template {
      metadata {
        labels = local.labels
      }

      spec {
        service_account_name            = "vault"
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
          name              = "vault"
          image             = var.image
          image_pull_policy = "Always"
          command           = ["vault", "server", "-config=/vault/config/vault.hcl"]

          port {
            name           = "http"
            container_port = 8200
            protocol       = "TCP"
          }

          env {
            name  = "VAULT_ADDR"
            value = "http://127.0.0.1:8200"
          }

          env {
            name  = "SKIP_SETCAP"
            value = "true"
          }

          env {
            name  = "HOME"
            value = "/tmp"
          }

          liveness_probe {
            initial_delay_seconds = 15
            period_seconds        = 10
            timeout_seconds       = 5
            failure_threshold     = 6

            http_get {
              path = "/v1/sys/health?standbyok=true&sealedcode=204&uninitcode=204"
              port = 8200
            }
          }

          readiness_probe {
            initial_delay_seconds = 5
            period_seconds        = 10
            timeout_seconds       = 5
            failure_threshold     = 6

            http_get {
              path = "/v1/sys/health?standbyok=true"
              port = 8200
            }
          }

          resources {
            requests = {
              "cpu"    = "250m"
              "memory" = "256Mi"
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
            name       = "data"
            mount_path = "/vault/data"
          }

          volume_mount {
            name       = "config"
            mount_path = "/vault/config"
            read_only  = true
          }

          volume_mount {
            name       = "tmp"
            mount_path = "/tmp"
          }
        }

        volume {
          name = "config"

          config_map {
            name = "vault-config"
          }
        }

        volume {
          name = "tmp"

          empty_dir {}
        }
      }
    }

    volume_claim_template {
      metadata {
        name = "data"
      }

      spec {
        access_modes = ["ReadWriteOnce"]

        resources {
          requests = {
            "storage" = var.storage_size
          }
        }
      }
    }
  }
}
