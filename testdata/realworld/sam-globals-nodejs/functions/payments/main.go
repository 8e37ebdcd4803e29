// Command payments is one Lambda function of this fixture.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"
)

type request struct {
	Amount string `json:"amount"`
}

type response struct {
	Function string `json:"function"`
	Charged  string `json:"charged"`
}

func handle(ctx context.Context, in request) (response, error) {
	return response{Function: "payments", Charged: in.Amount}, nil
}

func main() {
	lambda.Start(handle)
}
