// Command needscgo calls into C through sum.go, which needs cgo.
package main

import "github.com/aws/aws-lambda-go/lambda"

func main() {
	lambda.Start(func() (int, error) { return add(1, 2), nil })
}
