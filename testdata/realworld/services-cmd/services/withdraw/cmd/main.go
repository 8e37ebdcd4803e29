// Command cmd is the withdraw service's Lambda function; every service keeps its main in cmd/.
package main

import (
	"context"

	"example.com/ledger/pkg/ledger"
	"github.com/aws/aws-lambda-go/lambda"
)

func handle(_ context.Context, in ledger.Entry) (ledger.Receipt, error) {
	return ledger.Receipt{Function: "withdraw", Account: in.Account, Balance: -in.Cents}, nil
}

func main() {
	lambda.Start(handle)
}
