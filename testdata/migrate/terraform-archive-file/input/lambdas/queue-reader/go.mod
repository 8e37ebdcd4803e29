module queue-reader

go 1.14

require github.com/aws/aws-lambda-go v1.18.0
