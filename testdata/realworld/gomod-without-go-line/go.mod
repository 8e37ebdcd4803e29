module example.com/greeter

require github.com/aws/aws-lambda-go v1.47.0
