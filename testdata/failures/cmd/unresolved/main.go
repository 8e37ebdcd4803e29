// Command unresolved imports a package that no module in go.mod provides.
package main

import (
	"github.com/aws/aws-lambda-go/lambda"
	"rsc.io/quote"
)

func main() {
	lambda.Start(func() (string, error) { return quote.Go(), nil })
}
