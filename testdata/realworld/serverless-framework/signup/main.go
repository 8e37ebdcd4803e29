// Command signup is one Lambda function of this fixture.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"
)

type request struct {
	Email string `json:"email"`
}

type response struct {
	Function   string `json:"function"`
	Registered string `json:"registered"`
}

func handle(ctx context.Context, in request) (response, error) {
	return response{Function: "signup", Registered: in.Email}, nil
}

func main() {
	lambda.Start(handle)
}
