data "aws_s3_object" "code" {
  bucket = var.artifacts_bucket
  key    = "${var.service_name}-src.zip"
}

resource "aws_lambda_function" "default" {
  function_name = "${var.service_name}-${var.env}"
  s3_bucket     = data.aws_s3_object.code.bucket
  s3_key        = data.aws_s3_object.code.key
  handler       = "bootstrap"
  runtime       = "provided.al2023"
  role          = "arn:aws:iam::123456789012:role/ledger"
}
