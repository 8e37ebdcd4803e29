// Command withdraw is one Lambda function of this fixture.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"
)

type request struct {
	Account string `json:"account"`
}

type response struct {
	Function string `json:"function"`
	Debited  string `json:"debited"`
}

func handle(ctx context.Context, in request) (response, error) {
	return response{Function: "withdraw", Debited: in.Account}, nil
}

func main() {
	lambda.Start(handle)
}
