module example.com/bank

go 1.19

require github.com/aws/aws-lambda-go v1.47.0
