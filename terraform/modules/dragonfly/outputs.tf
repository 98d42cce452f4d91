output "service_name" {
  description = "Name of the Kubernetes Service `dragonfly`."
  value       = kubernetes_service_v1.dragonfly.metadata[0].name
}

output "port" {
  description = "Port clients connect to on `dragonfly`."
  value       = kubernetes_service_v1.dragonfly.spec[0].port[0].port
}

output "host" {
  description = "In-cluster DNS name of `dragonfly`."
  value       = "${kubernetes_service_v1.dragonfly.metadata[0].name}.${var.namespace}.svc.cluster.local"
}
