// Command missingpkg imports a package of its own module that does not exist.
package main

import (
	"example.com/failures/internal/gone"
	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	lambda.Start(func() (string, error) { return gone.Name(), nil })
}
