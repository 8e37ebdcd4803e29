variable "env" {
  type = string
}

variable "artifacts_bucket" {
  type = string
}
