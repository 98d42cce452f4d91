# Supabase PostgreSQL: the `supabase-db` Service (port 5432) and its StatefulSet with a persistent volume.
# Same names, ports, labels, images and probes as kubernetes/supabase-deployment.yaml; `dbstack check-infra` compares them.

locals {
  labels = {
    "app.kubernetes.io/name"      = "supabase-db"
    "app.kubernetes.io/instance"  = "dbstack"
    "app.kubernetes.io/component" = "database"
    "app.kubernetes.io/part-of"   = "dbstack"
    "app.kubernetes.io/version"   = "15.8.1.060"
  }
  selector_labels = {
    "app.kubernetes.io/name"     = "supabase-db"
    "app.kubernetes.io/instance" = "dbstack"
  }
}

resource "kubernetes_service_v1" "supabase_db" {
  metadata {
    name      = "supabase-db"
    namespace = var.namespace
    labels    = local.labels
  }

  spec {
    type     = "ClusterIP"
    selector = local.selector_labels

    port {
      name        = "postgres"
      port        = 5432
      target_port = 5432
      protocol    = "TCP"
    }
  }
}

resource "kubernetes_network_policy_v1" "supabase_db" {
  metadata {
    name      = "supabase-db"
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
        port     = 5432
        protocol = "TCP"
      }
    }
  }
}

resource "kubernetes_stateful_set_v1" "supabase_db" {
  # checkov:skip=CKV_K8S_43:images are pinned by tag to match the dbstack catalog; pin digests in your registry mirror
  wait_for_rollout = false

  metadata {
    name      = "supabase-db"
    namespace = var.namespace
    labels    = local.labels
  }

  spec {
    replicas     = 1
    service_name = "supabase-db"

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
          name              = "postgres"
          image             = var.image
          image_pull_policy = "Always"

          port {
            name           = "postgres"
            container_port = 5432
            protocol       = "TCP"
          }

          env {
            name  = "PGDATA"
            value = "/var/lib/postgresql/data/pgdata"
          }

          env {
            name  = "POSTGRES_DB"
            value = "postgres"
          }

          env {
            name  = "POSTGRES_PASSWORD_FILE"
            value = "/run/secrets/supabase-db/password"
          }

          liveness_probe {
            initial_delay_seconds = 30
            period_seconds        = 10
            timeout_seconds       = 5
            failure_threshold     = 6

            exec {
              command = ["pg_isready", "-h", "127.0.0.1", "-p", "5432", "-U", "postgres"]
            }
          }

          readiness_probe {
            initial_delay_seconds = 5
            period_seconds        = 10
            timeout_seconds       = 5
            failure_threshold     = 6

            exec {
              command = ["pg_isready", "-h", "127.0.0.1", "-p", "5432", "-U", "postgres"]
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
            mount_path = "/var/lib/postgresql/data"
          }

          volume_mount {
            name       = "run"
            mount_path = "/var/run/postgresql"
          }

          volume_mount {
            name       = "tmp"
            mount_path = "/tmp"
          }

          volume_mount {
            name       = "credentials"
            mount_path = "/run/secrets/supabase-db"
            read_only  = true
          }
        }

        volume {
          name = "run"

          empty_dir {}
        }

        volume {
          name = "tmp"

          empty_dir {}
        }

        volume {
          name = "credentials"

          secret {
            secret_name = "supabase-db-credentials"
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
