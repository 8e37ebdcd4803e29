variable "image" {
  description = "A container image to run instead of the zip"
  type        = string
  default     = ""
}

locals {
  binary_path  = "${path.module}/shipper/bootstrap"
  archive_path = "${path.module}/shipper/shipper.zip"
}

data "archive_file" "shipper" {
  count       = var.image == "" ? 1 : 0
  type        = "zip"
  source_file = local.binary_path
  output_path = local.archive_path
}

resource "aws_lambda_function" "this" {
  function_name    = "log-shipper"
  role             = "arn:aws:iam::123456789012:role/shipper"
  image_uri        = var.image == "" ? null : var.image
  filename         = var.image == "" ? local.archive_path : null
  source_code_hash = var.image == "" ? data.archive_file.shipper[0].output_base64sha256 : null
  runtime          = var.image == "" ? "provided.al2023" : null
  handler          = var.image == "" ? local.binary_path : null
  package_type     = var.image == "" ? "Zip" : "Image"
}
