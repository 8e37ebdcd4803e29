// Command lambda is the audit tool's Lambda entry point (cmd/<tool>/lambda).
package main

import (
	"context"

	"example.com/ledger/pkg/ledger"
	"github.com/aws/aws-lambda-go/lambda"
)

func handle(_ context.Context, in ledger.Entry) (ledger.Receipt, error) {
	return ledger.Receipt{Function: "audit", Account: in.Account}, nil
}

func main() {
	lambda.Start(handle)
}
