variable "service_name" {
  type        = string
  description = "names the function and its zip in the artifacts bucket"
}

variable "stage" {
  type = string
}

variable "bucket" {
  type = string
}
