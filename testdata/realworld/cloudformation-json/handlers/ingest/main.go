// Command ingest is one Lambda function of this fixture.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"
)

type request struct {
	Source string `json:"source"`
}

type response struct {
	Function string `json:"function"`
	Accepted string `json:"accepted"`
}

func handle(ctx context.Context, in request) (response, error) {
	return response{Function: "ingest", Accepted: in.Source}, nil
}

func main() {
	lambda.Start(handle)
}
