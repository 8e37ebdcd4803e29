locals {
  full_name = "${var.service_name}-${var.stage}"
}

data "aws_s3_object" "zip" {
  bucket = var.bucket
  key    = "${var.service_name}-src.zip"
}

resource "aws_lambda_function" "default" {
  function_name     = "${var.service_name}-${var.stage}"
  description       = "${local.full_name} service"
  s3_bucket         = data.aws_s3_object.zip.bucket
  s3_key            = data.aws_s3_object.zip.key
  s3_object_version = data.aws_s3_object.zip.version_id
  handler           = "index.handler"
  runtime           = "go1.x"
  timeout           = 30
  role              = "arn:aws:iam::123456789012:role/bank"
}
