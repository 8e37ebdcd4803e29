variable "service_name" {
  type = string
}

variable "env" {
  type = string
}

variable "artifacts_bucket" {
  type = string
}
