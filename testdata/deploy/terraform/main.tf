# gobuild check fixture: a zip from the local disk and one from S3 (bucket gobuild-check-code).

resource "aws_iam_role" "lambda" {
  name               = "shop-lambda"
  assume_role_policy = "{}"
}

resource "aws_lambda_function" "orders" {
  function_name    = "orders"
  role             = aws_iam_role.lambda.arn
  runtime          = "provided.al2023"
  handler          = "bootstrap"
  architectures    = ["arm64"]
  filename         = "${path.module}/dist/orders-arm64.zip"
  source_code_hash = filebase64sha256("${path.module}/dist/orders-arm64.zip")
}

resource "aws_lambda_function" "payments" {
  function_name = "payments"
  role          = aws_iam_role.lambda.arn
  runtime       = "provided.al2023"
  handler       = "bootstrap"
  architectures = ["arm64"]
  memory_size   = 64
  s3_bucket     = "gobuild-check-code"
  s3_key        = "payments/arm64.zip"

  environment {
    variables = {
      _HANDLER = "bootstrap"
      STAGE    = "test"
    }
  }
}

resource "aws_lambda_function" "legacy" {
  function_name = "legacy"
  role          = aws_iam_role.lambda.arn
  runtime       = "go1.x"
  handler       = "orders-lambda"
  filename      = "dist/orders-amd64.zip"
}

variable "artifact_key" {
  type = string
}

resource "aws_lambda_function" "from_variable" {
  function_name = "from-variable"
  role          = aws_iam_role.lambda.arn
  runtime       = "provided.al2023"
  handler       = "bootstrap"
  s3_bucket     = "gobuild-check-code"
  s3_key        = var.artifact_key
}
