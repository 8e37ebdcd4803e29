//go:build ignore

// gen.go is run with go run, never built with the package.
package main

import "github.com/aws/aws-lambda-go/lambda"

func main() { lambda.Start(nil) }
