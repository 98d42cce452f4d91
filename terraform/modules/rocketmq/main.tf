# RocketMQ: the name server `rocketmq-namesrv` (9876) and the broker `rocketmq-broker` (10911), each a Service and a StatefulSet.
# Same names, ports, labels, images and probes as kubernetes/rocketmq-deployment.yaml; `dbstack check-infra` compares them.

locals {
  namesrv_labels = {
    "app.kubernetes.io/name"      = "rocketmq-namesrv"
    "app.kubernetes.io/instance"  = "dbstack"
    "app.kubernetes.io/component" = "nameserver"
    "app.kubernetes.io/part-of"   = "dbstack"
    "app.kubernetes.io/version"   = "5.3.1"
  }
  namesrv_selector_labels = {
    "app.kubernetes.io/name"     = "rocketmq-namesrv"
    "app.kubernetes.io/instance" = "dbstack"
  }
  broker_labels = {
    "app.kubernetes.io/name"      = "rocketmq-broker"
    "app.kubernetes.io/instance"  = "dbstack"
    "app.kubernetes.io/component" = "broker"
    "app.kubernetes.io/part-of"   = "dbstack"
    "app.kubernetes.io/version"   = "5.3.1"
  }
  broker_selector_labels = {
    "app.kubernetes.io/name"     = "rocketmq-broker"
    "app.kubernetes.io/instance" = "dbstack"
  }
}

resource "kubernetes_service_v1" "rocketmq_namesrv" {
  metadata {
    name      = "rocketmq-namesrv"
    namespace = var.namespace
    labels    = local.namesrv_labels
  }

  spec {
    type     = "ClusterIP"
    selector = local.namesrv_selector_labels

    port {
      name        = "remoting"
      port        = 9876
      target_port = 9876
      protocol    = "TCP"
    }
  }
}

resource "kubernetes_network_policy_v1" "rocketmq_namesrv" {
  metadata {
    name      = "rocketmq-namesrv"
    namespace = var.namespace
    labels    = local.namesrv_labels
  }

  spec {
    policy_types = ["Ingress"]

    pod_selector {
      match_labels = local.namesrv_selector_labels
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
        port     = 9876
        protocol = "TCP"
      }
    }
  }
}

resource "kubernetes_stateful_set_v1" "rocketmq_namesrv" {
  # checkov:skip=CKV_K8S_43:images are pinned by tag to match the dbstack catalog; pin digests in your registry mirror
  wait_for_rollout = false

  metadata {
    name      = "rocketmq-namesrv"
    namespace = var.namespace
    labels    = local.namesrv_labels
  }

  spec {
    replicas     = 1
    service_name = "rocketmq-namesrv"

    selector {
      match_labels = local.namesrv_selector_labels
    }

    template {
      metadata {
        labels = local.namesrv_labels
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
          name              = "namesrv"
          image             = var.image
          image_pull_policy = "Always"
          command           = ["sh", "mqnamesrv"]

          port {
            name           = "remoting"
            container_port = 9876
            protocol       = "TCP"
          }

          env {
            name  = "JAVA_OPT_EXT"
            value = "-Xms256m -Xmx256m"
          }

          liveness_probe {
            initial_delay_seconds = 20
            period_seconds        = 10
            timeout_seconds       = 5
            failure_threshold     = 6

            tcp_socket {
              port = 9876
            }
          }

          readiness_probe {
            initial_delay_seconds = 5
            period_seconds        = 10
            timeout_seconds       = 5
            failure_threshold     = 6

            tcp_socket {
              port = 9876
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
            name       = "logs"
            mount_path = "/home/rocketmq/logs"
          }

          volume_mount {
            name       = "tmp"
            mount_path = "/tmp"
          }
        }

        volume {
          name = "logs"

          empty_dir {}
        }

        volume {
          name = "tmp"

          empty_dir {}
        }
      }
    }
  }
}

resource "kubernetes_service_v1" "rocketmq_broker" {
  metadata {
    name      = "rocketmq-broker"
    namespace = var.namespace
    labels    = local.broker_labels
  }

  spec {
    type     = "ClusterIP"
    selector = local.broker_selector_labels

    port {
      name        = "remoting"
      port        = 10911
      target_port = 10911
      protocol    = "TCP"
    }
  }
}

resource "kubernetes_network_policy_v1" "rocketmq_broker" {
  metadata {
    name      = "rocketmq-broker"
    namespace = var.namespace
    labels    = local.broker_labels
  }

  spec {
    policy_types = ["Ingress"]

    pod_selector {
      match_labels = local.broker_selector_labels
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
        port     = 10911
        protocol = "TCP"
      }
    }
  }
}

resource "kubernetes_stateful_set_v1" "rocketmq_broker" {
  # checkov:skip=CKV_K8S_43:images are pinned by tag to match the dbstack catalog; pin digests in your registry mirror
  wait_for_rollout = false

  metadata {
    name      = "rocketmq-broker"
    namespace = var.namespace
    labels    = local.broker_labels
  }

  spec {
    replicas     = 1
    service_name = "rocketmq-broker"

    selector {
      match_labels = local.broker_selector_labels
    }

    template {
      metadata {
        labels = local.broker_labels
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
          name              = "broker"
          image             = var.image
          image_pull_policy = "Always"
          command           = ["sh", "mqbroker", "-n", "rocketmq-namesrv:9876"]

          port {
            name           = "remoting"
            container_port = 10911
            protocol       = "TCP"
          }

          env {
            name  = "NAMESRV_ADDR"
            value = "rocketmq-namesrv:9876"
          }

          env {
            name  = "JAVA_OPT_EXT"
            value = "-Xms512m -Xmx512m"
          }

          liveness_probe {
            initial_delay_seconds = 30
            period_seconds        = 10
            timeout_seconds       = 5
            failure_threshold     = 6

            tcp_socket {
              port = 10911
            }
          }

          readiness_probe {
            initial_delay_seconds = 10
            period_seconds        = 10
            timeout_seconds       = 5
            failure_threshold     = 6

            tcp_socket {
              port = 10911
            }
          }

          resources {
            requests = {
              "cpu"    = "500m"
              "memory" = "1Gi"
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
            name       = "store"
            mount_path = "/home/rocketmq/store"
          }

          volume_mount {
            name       = "logs"
            mount_path = "/home/rocketmq/logs"
          }

          volume_mount {
            name       = "tmp"
            mount_path = "/tmp"
          }
        }

        volume {
          name = "logs"

          empty_dir {}
        }

        volume {
          name = "tmp"

          empty_dir {}
        }
      }
    }

    volume_claim_template {
      metadata {
        name = "store"
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
