// Command legacy is one Lambda function of this fixture.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"
)

type request struct {
	Id string `json:"id"`
}

type response struct {
	Function string `json:"function"`
	Handled  string `json:"handled"`
}

func handle(ctx context.Context, in request) (response, error) {
	return response{Function: "legacy", Handled: in.Id}, nil
}

func main() {
	lambda.Start(handle)
}
