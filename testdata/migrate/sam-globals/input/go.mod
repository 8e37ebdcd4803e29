module example.com/shop

go 1.22

require github.com/aws/aws-lambda-go v1.47.0
