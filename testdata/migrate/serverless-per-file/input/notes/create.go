// Command create is one of the notes API's programs, built file by file.
package main

import (
	"context"
	"encoding/json"

	"github.com/aws/aws-lambda-go/lambda"
)

func handle(ctx context.Context, event json.RawMessage) (string, error) {
	return "ok", nil
}

func main() {
	lambda.Start(handle)
}
