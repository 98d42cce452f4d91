output "service_name" {
  description = "Name of the Kubernetes Service `ragflow`."
  value       = kubernetes_service_v1.ragflow.metadata[0].name
}

output "port" {
  description = "Port clients connect to on `ragflow`."
  value       = kubernetes_service_v1.ragflow.spec[0].port[0].port
}

output "host" {
  description = "In-cluster DNS name of `ragflow`."
  value       = "${kubernetes_service_v1.ragflow.metadata[0].name}.${var.namespace}.svc.cluster.local"
}
