// Command cgoonly is all cgo: with CGO_ENABLED=0 Go finds no file to build.
package main

/*
#include <stdlib.h>
*/
import "C"

import "github.com/aws/aws-lambda-go/lambda"

func main() {
	lambda.Start(func() (int, error) { return int(C.abs(-3)), nil })
}
