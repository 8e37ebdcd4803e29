// Command hello is a plain Go function beside the cgo one: it stays a static binary.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"
)

func handle(_ context.Context, name string) (string, error) {
	return "hello " + name, nil
}

func main() {
	lambda.Start(handle)
}
