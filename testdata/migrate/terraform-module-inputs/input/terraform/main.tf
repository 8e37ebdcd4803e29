module "fetch_lambda" {
  source       = "./lambda"
  zip_location = "../fetch/bootstrap.zip"
  name         = "fetch-${terraform.workspace}"
  handler      = "bootstrap"
  run_time     = "provided.al2"
  timeout      = 60
}

module "store_lambda" {
  source       = "./lambda"
  zip_location = "../store/bootstrap.zip"
  name         = "store-${terraform.workspace}"
  handler      = "bootstrap"
  run_time     = "provided.al2"
  timeout      = 60
}
