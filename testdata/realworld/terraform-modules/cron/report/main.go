// Command report is one Lambda function of this fixture.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"
)

type request struct {
	Period string `json:"period"`
}

type response struct {
	Function string `json:"function"`
	Sent     string `json:"sent"`
}

func handle(ctx context.Context, in request) (response, error) {
	return response{Function: "report", Sent: in.Period}, nil
}

func main() {
	lambda.Start(handle)
}
