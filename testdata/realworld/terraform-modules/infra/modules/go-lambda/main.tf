variable "name" {
  type = string
}

variable "runtime" {
  type = string
}

variable "handler" {
  type = string
}

variable "filename" {
  type = string
}

variable "architectures" {
  type    = list(string)
  default = ["x86_64"]
}

resource "aws_iam_role" "this" {
  name               = "${var.name}-role"
  assume_role_policy = jsonencode({ Version = "2012-10-17", Statement = [] })
}

resource "aws_lambda_function" "this" {
  function_name    = var.name
  role             = aws_iam_role.this.arn
  runtime          = var.runtime
  handler          = var.handler
  filename         = var.filename
  source_code_hash = filebase64sha256(var.filename)
  architectures    = var.architectures
}
