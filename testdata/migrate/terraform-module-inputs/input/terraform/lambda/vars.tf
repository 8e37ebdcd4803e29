variable "zip_location" {
  description = "path to the zipped function"
}

variable "name" {
  description = "the function's name"
}

variable "handler" {
  description = "the function's handler"
}

variable "run_time" {
  description = "the function's runtime"
}

variable "timeout" {
  default = 30
}
