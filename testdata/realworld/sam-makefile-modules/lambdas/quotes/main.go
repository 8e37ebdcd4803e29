// Command quotes is one Lambda function of this fixture.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"
)

type request struct {
	Symbol string `json:"symbol"`
}

type response struct {
	Function string `json:"function"`
	Quoted   string `json:"quoted"`
}

func handle(ctx context.Context, in request) (response, error) {
	return response{Function: "quotes", Quoted: in.Symbol}, nil
}

func main() {
	lambda.Start(handle)
}
