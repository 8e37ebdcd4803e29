# Code from `gobuild publish --format tfvars` (terraform apply -var-file=dist/published.tfvars.json).

variable "gobuild_artifacts" {
  type = map(map(object({
    s3_bucket         = string
    s3_key            = string
    s3_object_version = optional(string)
    size              = number
    source_code_hash  = string
  })))
}

resource "aws_lambda_function" "orders" {
  function_name    = "orders"
  role             = "arn:aws:iam::123456789012:role/shop"
  runtime          = "provided.al2023"
  handler          = "bootstrap"
  architectures    = ["arm64"]
  s3_bucket        = var.gobuild_artifacts["orders"]["arm64"].s3_bucket
  s3_key           = var.gobuild_artifacts["orders"]["arm64"].s3_key
  source_code_hash = var.gobuild_artifacts["orders"]["arm64"].source_code_hash
}
