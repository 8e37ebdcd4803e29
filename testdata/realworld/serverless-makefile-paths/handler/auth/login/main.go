// Command login is one Lambda function of this fixture.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"
)

type request struct {
	User string `json:"user"`
}

type response struct {
	Function string `json:"function"`
	Session  string `json:"session"`
}

func handle(ctx context.Context, in request) (response, error) {
	return response{Function: "login", Session: in.User}, nil
}

func main() {
	lambda.Start(handle)
}
