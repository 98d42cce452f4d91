output "namespace" {
  description = "Namespace of the stack."
  value       = kubernetes_namespace_v1.dbstack.metadata[0].name
}

output "config_map_name" {
  description = "ConfigMap the application reads with envFrom."
  value       = kubernetes_config_map_v1.dbstack_database_config.metadata[0].name
}

output "services" {
  description = "Kubernetes Service name and port of every service, as in dbstack's catalog."
  value = {
    supabase  = { service = module.supabase.service_name, port = module.supabase.port }
    dragonfly = { service = module.dragonfly.service_name, port = module.dragonfly.port }
    ragflow   = { service = module.ragflow.service_name, port = module.ragflow.port }
    rocketmq  = { service = module.rocketmq.namesrv_service_name, port = module.rocketmq.namesrv_port }
    vault     = { service = module.vault.service_name, port = module.vault.port }
  }
}
