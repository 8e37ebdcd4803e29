// each service's zip is <service>-src.zip in the artifacts bucket

module "payment_create" {
  source           = "../modules/go-service"
  service_name     = "payment-create"
  env              = var.env
  artifacts_bucket = var.artifacts_bucket
}

module "payment_list" {
  source           = "../modules/go-service"
  service_name     = "payment-list"
  env              = var.env
  artifacts_bucket = var.artifacts_bucket
}

module "refund" {
  source           = "../modules/go-service"
  service_name     = "refund"
  env              = var.env
  artifacts_bucket = var.artifacts_bucket
}
