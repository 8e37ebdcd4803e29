// Command stock is one Lambda function of this fixture.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"
)

type request struct {
	Sku string `json:"sku"`
}

type response struct {
	Function string `json:"function"`
	Count    string `json:"count"`
}

func handle(ctx context.Context, in request) (response, error) {
	return response{Function: "stock", Count: in.Sku}, nil
}

func main() {
	lambda.Start(handle)
}
