terraform {
  required_version = ">= 1.5"
}

module "cleanup" {
  source   = "./modules/go-lambda"
  name     = "housekeeping-cleanup"
  runtime  = "go1.x"
  handler  = "cleanup"
  filename = "${path.module}/../build/cleanup.zip"
}

module "report" {
  source   = "./modules/go-lambda"
  name     = "housekeeping-report"
  runtime  = "go1.x"
  handler  = "report"
  filename = "${path.module}/../build/report.zip"
}
