// Command thumbnail scales images with a C routine, so it needs cgo.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"
)

type request struct {
	Width int `json:"width"`
}

func handle(ctx context.Context, in request) (map[string]int, error) {
	return map[string]int{"width": halve(in.Width)}, nil
}

func main() {
	lambda.Start(handle)
}
