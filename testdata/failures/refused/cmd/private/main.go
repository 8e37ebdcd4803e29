// Command private needs a module its proxy refuses to serve.
package main

import (
	"example.com/private/lib"
	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	lambda.Start(func() (string, error) { return lib.Name(), nil })
}
