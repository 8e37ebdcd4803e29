module example.com/health

go 1.21

require github.com/aws/aws-lambda-go v1.41.0
