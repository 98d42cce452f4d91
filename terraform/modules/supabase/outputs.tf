output "service_name" {
  description = "Name of the Kubernetes Service `supabase-db`."
  value       = kubernetes_service_v1.supabase_db.metadata[0].name
}

output "port" {
  description = "Port clients connect to on `supabase-db`."
  value       = kubernetes_service_v1.supabase_db.spec[0].port[0].port
}

output "host" {
  description = "In-cluster DNS name of `supabase-db`."
  value       = "${kubernetes_service_v1.supabase_db.metadata[0].name}.${var.namespace}.svc.cluster.local"
}
