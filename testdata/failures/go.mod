module example.com/failures

go 1.26

require (
	github.com/aws/aws-lambda-go v1.55.1
	github.com/google/uuid v1.6.0
)
