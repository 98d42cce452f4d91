variable "namespace" {
  type        = string
  description = "Kubernetes namespace the resources are created in."
  default     = "dbstack"

  validation {
    condition     = can(regex("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$", var.namespace))
    error_message = "The namespace must be a DNS-1123 label (lowercase letters, digits and '-', at most 63 characters)."
  }
}

variable "image" {
  type        = string
  description = "Container image, pinned by tag; must match dbstack's catalog (`dbstack check-infra`)."
  default     = "supabase/postgres:15.8.1.060"

  validation {
    condition     = can(regex("^[^:]+(:[A-Za-z0-9_][A-Za-z0-9_.-]*)$", var.image)) && !endswith(var.image, ":latest")
    error_message = "The image must be pinned by an explicit tag other than latest."
  }
}

variable "storage_size" {
  type        = string
  description = "Size of each persistent volume claim (Kubernetes quantity, e.g. 10Gi)."
  default     = "10Gi"

  validation {
    condition     = can(regex("^[0-9]+(Mi|Gi|Ti)$", var.storage_size))
    error_message = "The storage size must be a whole number of Mi, Gi or Ti, e.g. 10Gi."
  }
}
