// Command rootmain is the module"s only function, at its root.
package main

import (
	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	lambda.Start(func() (string, error) { return "rootmain", nil })
}
