// Command reindex is an operator's tool: it prints the search index it would rebuild.
package main

import (
	"flag"
	"fmt"
)

func main() {
	index := flag.String("index", "items", "the index to rebuild")
	flag.Parse()
	fmt.Printf("would rebuild %s\n", *index)
}
