// Command create makes an order, numbering it with billing's invoice package: it builds only
// in the go.work workspace.
package main

import (
	"example.com/layouts/billing/invoice"
	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	lambda.Start(func() (string, error) { return "create " + invoice.Number(), nil })
}
