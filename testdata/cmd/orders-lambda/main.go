// Command orders-lambda is an example Lambda function built on aws-lambda-go.
package main

import (
	"context"

	"example.com/shop/internal/shop"
	"github.com/aws/aws-lambda-go/lambda"
)

func handle(ctx context.Context, ev shop.Event) (shop.Reply, error) {
	return shop.Handle(ctx, "orders", 5, ev)
}

func main() {
	lambda.Start(handle)
}
