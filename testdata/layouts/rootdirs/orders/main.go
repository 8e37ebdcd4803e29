// Command orders is a function in a folder at the module root.
package main

import (
	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	lambda.Start(func() (string, error) { return "orders", nil })
}
