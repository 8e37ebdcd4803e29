module example.com/catalog

go 1.17

require github.com/aws/aws-lambda-go v1.27.0
