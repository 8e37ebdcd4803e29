resource "aws_lambda_function" "lambda" {
  filename         = "${var.zip_location}"
  function_name    = "${var.name}"
  role             = "arn:aws:iam::123456789012:role/lambda"
  handler          = "${var.handler}"
  timeout          = "${var.timeout}"
  source_code_hash = "${filesha256("${var.zip_location}")}"
  runtime          = "${var.run_time}"
}
