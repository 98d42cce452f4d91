output "service_name" {
  description = "Name of the Kubernetes Service `vault`."
  value       = kubernetes_service_v1.vault.metadata[0].name
}

output "port" {
  description = "Port clients connect to on `vault`."
  value       = kubernetes_service_v1.vault.spec[0].port[0].port
}

output "host" {
  description = "In-cluster DNS name of `vault`."
  value       = "${kubernetes_service_v1.vault.metadata[0].name}.${var.namespace}.svc.cluster.local"
}

output "service_account_name" {
  description = "ServiceAccount bound to system:auth-delegator for Vault's Kubernetes auth."
  value       = kubernetes_service_account_v1.vault.metadata[0].name
}
