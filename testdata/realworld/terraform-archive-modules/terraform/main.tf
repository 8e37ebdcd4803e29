# Each function's binary is built as lambdas/<name>/main by a script, then zipped here.

variable "build_dir" {
  default = "../lambdas"
}

data "archive_file" "greeter_zip" {
  type        = "zip"
  source_file = "${var.build_dir}/greeter/main"
  output_path = "${var.build_dir}/greeter/greeter.zip"
}

data "archive_file" "queue_drain_zip" {
  type        = "zip"
  source_file = "${var.build_dir}/queue-drain/main"
  output_path = "${var.build_dir}/queue-drain/queue-drain.zip"
}

resource "aws_iam_role" "lambda" {
  name               = "greeter-lambda"
  assume_role_policy = "{}"
}

resource "aws_lambda_function" "greeter" {
  function_name    = "greeter"
  role             = aws_iam_role.lambda.arn
  filename         = "${var.build_dir}/greeter/greeter.zip"
  handler          = "main"
  source_code_hash = filebase64sha256(data.archive_file.greeter_zip.output_path)
  runtime          = "go1.x"
  timeout          = 10
}

resource "aws_lambda_function" "queue_drain" {
  function_name    = "queue-drain"
  role             = aws_iam_role.lambda.arn
  filename         = "${var.build_dir}/queue-drain/queue-drain.zip"
  handler          = "main"
  source_code_hash = filebase64sha256(data.archive_file.queue_drain_zip.output_path)
  runtime          = "go1.x"
  timeout          = 30
}
