// Command private needs a module its proxy refuses to serve, directly and through internal/audit.
package main

import (
	"example.com/failures/refused/internal/audit"
	"example.com/private/lib"
	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	lambda.Start(func() (string, error) { return lib.Name() + audit.Tag("invoked"), nil })
}
