module example.com/legacy

go 1.22

require github.com/aws/aws-lambda-go v1.17.0
