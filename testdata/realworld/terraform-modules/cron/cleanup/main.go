// Command cleanup is one Lambda function of this fixture.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"
)

type request struct {
	Table string `json:"table"`
}

type response struct {
	Function string `json:"function"`
	Purged   string `json:"purged"`
}

func handle(ctx context.Context, in request) (response, error) {
	return response{Function: "cleanup", Purged: in.Table}, nil
}

func main() {
	lambda.Start(handle)
}
