// Command authorizer is one Lambda function of this fixture.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"
)

type request struct {
	Token string `json:"token"`
}

type response struct {
	Function string `json:"function"`
	Allowed  string `json:"allowed"`
}

func handle(ctx context.Context, in request) (response, error) {
	return response{Function: "authorizer", Allowed: in.Token}, nil
}

func main() {
	lambda.Start(handle)
}
