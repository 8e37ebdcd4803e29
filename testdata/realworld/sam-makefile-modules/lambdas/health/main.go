// Command health is one Lambda function of this fixture.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"
)

type request struct {
	Probe string `json:"probe"`
}

type response struct {
	Function string `json:"function"`
	Status   string `json:"status"`
}

func handle(ctx context.Context, in request) (response, error) {
	return response{Function: "health", Status: in.Probe}, nil
}

func main() {
	lambda.Start(handle)
}
