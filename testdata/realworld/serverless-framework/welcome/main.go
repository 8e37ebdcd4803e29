// Command welcome is one Lambda function of this fixture.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"
)

type request struct {
	Email string `json:"email"`
}

type response struct {
	Function string `json:"function"`
	Greeted  string `json:"greeted"`
}

func handle(ctx context.Context, in request) (response, error) {
	return response{Function: "welcome", Greeted: in.Email}, nil
}

func main() {
	lambda.Start(handle)
}
