package main

import (
	"fmt"
	"os"
	"strings"

	"example.com/m/internal/a"
	"example.com/m/internal/b"
)

var version = "dev"

const banner = "shapes and words, a demo"

func main() {
	fmt.Println(banner, version)
	var shapes []b.Shape
	for _, arg := range os.Args[1:] {
		s, err := b.Parse(arg)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		shapes = append(shapes, s)
	}
	fmt.Print(b.Describe(shapes))
	fmt.Println(a.Words(strings.Join(os.Args, " ")), a.Sum(os.Args), a.Clamp(len(shapes)))
}
