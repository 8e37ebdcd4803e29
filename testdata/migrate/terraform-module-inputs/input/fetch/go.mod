module fetch

go 1.20

require github.com/aws/aws-lambda-go v1.41.0
