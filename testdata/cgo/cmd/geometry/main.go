// Command geometry is a Lambda function whose answers are computed by C code (geom.c, with
// libm), built with cgo.
package main

/*
#cgo LDFLAGS: -lm
#include "geom.h"
*/
import "C"

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"
)

// Event is what the function is asked: a point.
type Event struct {
	X float64 `json:"x"`
	Y float64 `json:"y"`
}

// Reply is what the C code computed for it.
type Reply struct {
	Hypot    float64 `json:"hypot"`
	CubeRoot float64 `json:"cube_root"`
	Power    float64 `json:"power"`
}

func handle(_ context.Context, ev Event) (Reply, error) {
	return Reply{
		Hypot:    float64(C.geom_hypot(C.double(ev.X), C.double(ev.Y))),
		CubeRoot: float64(C.geom_cube_root(C.double(ev.X))),
		Power:    float64(C.geom_power(C.double(ev.X), C.double(ev.Y))),
	}, nil
}

func main() {
	lambda.Start(handle)
}
