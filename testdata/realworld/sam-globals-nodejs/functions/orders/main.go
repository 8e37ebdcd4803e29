// Command orders is one Lambda function of this fixture.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"
)

type request struct {
	Id string `json:"id"`
}

type response struct {
	Function string `json:"function"`
	Order    string `json:"order"`
}

func handle(ctx context.Context, in request) (response, error) {
	return response{Function: "orders", Order: in.Id}, nil
}

func main() {
	lambda.Start(handle)
}
