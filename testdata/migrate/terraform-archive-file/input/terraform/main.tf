data "archive_file" "greeter_zip" {
  type        = "zip"
  source_file = "${var.lambdas_path}/greeter/main"
  output_path = "${var.lambdas_path}/greeter/greeter.zip"
}

data "archive_file" "queue_reader_zip" {
  type        = "zip"
  source_file = "${var.lambdas_path}/queue-reader/main"
  output_path = "${var.lambdas_path}/queue-reader/queue-reader.zip"
}

resource "aws_lambda_function" "greeter" {
  function_name    = "greeter"
  filename         = "${var.lambdas_path}/greeter/greeter.zip"
  handler          = "main"
  source_code_hash = filebase64sha256(data.archive_file.greeter_zip.output_path)
  role             = aws_iam_role.lambda.arn
  runtime          = "go1.x"
}

resource "aws_lambda_function" "queue_reader" {
  function_name    = "queue_reader"
  filename         = data.archive_file.queue_reader_zip.output_path
  handler          = "main"
  source_code_hash = data.archive_file.queue_reader_zip.output_base64sha256
  role             = aws_iam_role.lambda.arn
  runtime          = "go1.x"
}
