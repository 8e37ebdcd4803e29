variable "stage" {
  type = string
}

variable "bucket" {
  type = string
}

module "deposit" {
  source       = "../modules/go-service"
  service_name = "deposit"
  stage        = var.stage
  bucket       = var.bucket
}

module "withdraw" {
  source       = "../modules/go-service"
  service_name = "withdraw"
  stage        = var.stage
  bucket       = var.bucket
}
