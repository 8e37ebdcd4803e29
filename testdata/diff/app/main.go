// Command diffapp is the function `gobuild diff` tests build in pairs that differ in one way:
// an -X value (main.version), a build tag (extra.go), the greet dependency's version, the
// code of internal/shapes, or the Go toolchain.
package main

import (
	"fmt"
	"os"
	"strings"

	"example.com/diffapp/internal/shapes"
	"example.com/greet"
)

var version = "dev"

// features lists what optional files (built with tags) added.
var features []string

func main() {
	fmt.Println(greet.Hello(strings.Join(os.Args[1:], " ")), version, features)
	var total float64
	for _, spec := range os.Args[1:] {
		shape, err := shapes.Parse(spec)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		total += shape.Area()
	}
	fmt.Println(shapes.Describe(total), shapes.Count(os.Args[1:]))
}
