// Command hello is one Lambda function of this fixture.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"
)

type request struct {
	Name string `json:"name"`
}

type response struct {
	Function string `json:"function"`
	Greeting string `json:"greeting"`
}

func handle(ctx context.Context, in request) (response, error) {
	return response{Function: "hello", Greeting: in.Name}, nil
}

func main() {
	lambda.Start(handle)
}
