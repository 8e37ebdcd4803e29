// Command greeter answers a greeting; its Terraform zips the binary built next to it.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"
)

type greeting struct {
	Name string `json:"name"`
}

type reply struct {
	Function string `json:"function"`
	Greeted  string `json:"greeted"`
}

func greet(_ context.Context, in greeting) (reply, error) {
	return reply{Function: "greeter", Greeted: in.Name}, nil
}

func main() {
	lambda.Start(greet)
}
