output "namesrv_service_name" {
  description = "Name of the Kubernetes Service `rocketmq-namesrv`."
  value       = kubernetes_service_v1.rocketmq_namesrv.metadata[0].name
}

output "namesrv_port" {
  description = "Port clients connect to on `rocketmq-namesrv`."
  value       = kubernetes_service_v1.rocketmq_namesrv.spec[0].port[0].port
}

output "namesrv_host" {
  description = "In-cluster DNS name of `rocketmq-namesrv`."
  value       = "${kubernetes_service_v1.rocketmq_namesrv.metadata[0].name}.${var.namespace}.svc.cluster.local"
}

output "broker_service_name" {
  description = "Name of the Kubernetes Service `rocketmq-broker`."
  value       = kubernetes_service_v1.rocketmq_broker.metadata[0].name
}

output "broker_port" {
  description = "Port clients connect to on `rocketmq-broker`."
  value       = kubernetes_service_v1.rocketmq_broker.spec[0].port[0].port
}

output "broker_host" {
  description = "In-cluster DNS name of `rocketmq-broker`."
  value       = "${kubernetes_service_v1.rocketmq_broker.metadata[0].name}.${var.namespace}.svc.cluster.local"
}
