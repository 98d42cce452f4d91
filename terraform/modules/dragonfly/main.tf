# DragonflyDB: the `dragonfly` Service (Redis protocol, port 6379) and its StatefulSet with a persistent volume.
# Same names, ports, labels, images and probes as kubernetes/dragonfly-deployment.yaml; `dbstack check-infra` compares them.

locals {
  labels = {
    "app.kubernetes.io/name"      = "dragonfly"
    "app.kubernetes.io/instance"  = "dbstack"
    "app.kubernetes.io/component" = "cache"
    "app.kubernetes.io/part-of"   = "dbstack"
    "app.kubernetes.io/version"   = "v1.27.1"
  }
  selector_labels = {
    "app.kubernetes.io/name"     = "dragonfly"
    "app.kubernetes.io/instance" = "dbstack"
  }
}

resource "kubernetes_service_v1" "dragonfly" {
  metadata {
    name      = "dragonfly"
    namespace = var.namespace
    labels    = local.labels
  }

  spec {
    type     = "ClusterIP"
    selector = local.selector_labels

    port {
      name        = "redis"
      port        = 6379
      target_port = 6379
      protocol    = "TCP"
    }
  }
}

resource "kubernetes_network_policy_v1" "dragonfly" {
  metadata {
    name      = "dragonfly"
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
        port     = 6379
        protocol = "TCP"
      }
    }
  }
}

resource "kubernetes_stateful_set_v1" "dragonfly" {
  # checkov:skip=CKV_K8S_43:images are pinned by tag to match the dbstack catalog; pin digests in your registry mirror
  wait_for_rollout = false

  metadata {
    name      = "dragonfly"
    namespace = var.namespace
    labels    = local.labels
  }

  spec {
    replicas     = 1
    service_name = "dragonfly"

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
          name              = "dragonfly"
          image             = var.image
          image_pull_policy = "Always"
          args              = ["--logtostderr", "--port=6379", "--dir=/data", "--flagfile=/run/secrets/dragonfly/flags"]

          port {
            name           = "redis"
            container_port = 6379
            protocol       = "TCP"
          }

          liveness_probe {
            initial_delay_seconds = 15
            period_seconds        = 10
            timeout_seconds       = 5
            failure_threshold     = 6

            tcp_socket {
              port = 6379
            }
          }

          readiness_probe {
            initial_delay_seconds = 5
            period_seconds        = 10
            timeout_seconds       = 5
            failure_threshold     = 6

            tcp_socket {
              port = 6379
            }
          }

          resources {
            requests = {
              "cpu"    = "250m"
              "memory" = "512Mi"
            }
            limits   = {
              "cpu"    = "2"
              "memory" = "2Gi"
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
            mount_path = "/data"
          }

          volume_mount {
            name       = "tmp"
            mount_path = "/tmp"
          }

          volume_mount {
            name       = "auth"
            mount_path = "/run/secrets/dragonfly"
            read_only  = true
          }
        }

        volume {
          name = "tmp"

          empty_dir {}
        }

        volume {
          name = "auth"

          secret {
            secret_name = "dragonfly-auth"
          }
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
