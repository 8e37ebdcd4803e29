// Command queue-drain counts the records of a queue batch.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"
)

type batch struct {
	Records []struct {
		Body string `json:"body"`
	} `json:"Records"`
}

type drained struct {
	Function string `json:"function"`
	Count    int    `json:"count"`
}

func drain(_ context.Context, in batch) (drained, error) {
	return drained{Function: "queue-drain", Count: len(in.Records)}, nil
}

func main() {
	lambda.Start(drain)
}
