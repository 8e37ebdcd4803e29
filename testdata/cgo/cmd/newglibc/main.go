// Command newglibc calls arc4random, which glibc added in 2.36: built by the host's gcc on a
// newer system it needs GLIBC_2.36, which provided.al2023 (glibc 2.34) lacks; zig's glibc 2.34
// headers do not declare it, so `cgo = true` refuses to compile it.
package main

// #include <stdlib.h>
import "C"

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"
)

func handle(_ context.Context, _ struct{}) (uint32, error) {
	return uint32(C.arc4random()), nil
}

func main() {
	lambda.Start(handle)
}
