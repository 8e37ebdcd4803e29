# Lambda functions of the search service. Zips are built by CI into build/.

variable "indexer_runtime" {
  description = "Runtime of the indexer; overridden per workspace"
  type        = string
  default     = "go1.x"
}

locals {
  common_tags = {
    service = "search"
    owner   = "platform"
  }
}

resource "aws_lambda_function" "query" {
  function_name    = "search-query"
  role             = aws_iam_role.lambda.arn
  filename         = "${path.module}/build/query.zip"
  source_code_hash = filebase64sha256("${path.module}/build/query.zip")
  runtime          = "go1.x" # TODO: go1.x is deprecated
  handler          = "query"
  memory_size      = 256
  timeout          = 10

  environment {
    variables = {
      INDEX_NAME = "products-${terraform.workspace}"
      RUNTIME    = "go1.x"
    }
  }

  tags = local.common_tags
}

resource "aws_lambda_function" "suggest" {
  function_name = "search-suggest"
  role          = aws_iam_role.lambda.arn
  filename      = "${path.module}/build/suggest.zip"
  runtime       = "provided.al2"
  architectures = ["arm64"]
  tags          = local.common_tags
}

resource "aws_lambda_function" "indexer" {
  function_name = "search-indexer"
  role          = aws_iam_role.lambda.arn
  filename      = "${path.module}/build/indexer.zip"
  runtime       = var.indexer_runtime
  handler       = "indexer"
}

resource "aws_iam_role" "lambda" {
  name               = "search-lambda"
  assume_role_policy = <<-EOT
    {
      "Version": "2012-10-17",
      "Statement": [{
        "Effect": "Allow",
        "Principal": {"Service": "lambda.amazonaws.com"},
        "Action": "sts:AssumeRole"
      }]
    }
  EOT
}

# A custom runtime written in shell: not Go, so migrate leaves it to its owners.
resource "aws_lambda_function" "reindex_cron" {
  function_name = "search-reindex-cron"
  role          = aws_iam_role.lambda.arn
  filename      = "${path.module}/scripts/reindex.zip"
  runtime       = "provided.al2"
  handler       = "reindex.handler"
}
