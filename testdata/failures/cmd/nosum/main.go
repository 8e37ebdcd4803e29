// Command nosum imports a module whose go.sum entry is missing.
package main

import (
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/google/uuid"
)

func main() {
	lambda.Start(func() (string, error) { return uuid.NewString(), nil })
}
