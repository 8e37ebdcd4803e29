// Command orders is a function in handlers/<name>.
package main

import (
	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	lambda.Start(func() (string, error) { return "orders", nil })
}
