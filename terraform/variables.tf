variable "namespace" {
  type        = string
  description = "Kubernetes namespace the whole stack is created in."
  default     = "dbstack"

  validation {
    condition     = can(regex("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$", var.namespace))
    error_message = "The namespace must be a DNS-1123 label (lowercase letters, digits and '-', at most 63 characters)."
  }
}

variable "app_image" {
  type        = string
  description = "Container image of the application, pinned by tag; must match dbstack's catalog (`dbstack check-infra`)."
  default     = "ghcr.io/dbstack/agent-runtime:0.1.0"

  validation {
    condition     = can(regex("^[^:]+(:[A-Za-z0-9_][A-Za-z0-9_.-]*)$", var.app_image)) && !endswith(var.app_image, ":latest")
    error_message = "The image must be pinned by an explicit tag other than latest."
  }
}

variable "dbstack_image" {
  type        = string
  description = "Container image with the `dbstack` CLI, run by the vault-bootstrap Job; pinned by tag."
  default     = "ghcr.io/dbstack/dbstack:0.1.0"

  validation {
    condition     = can(regex("^[^:]+(:[A-Za-z0-9_][A-Za-z0-9_.-]*)$", var.dbstack_image)) && !endswith(var.dbstack_image, ":latest")
    error_message = "The image must be pinned by an explicit tag other than latest."
  }
}
