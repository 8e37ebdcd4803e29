// Command server is the storefront's HTTP API for running outside Lambda (a container or a
// laptop). It shares the repository with the Lambda functions but is not one of them.
package main

import (
	"fmt"
	"log"
	"net/http"
	"os"
)

func main() {
	addr := os.Getenv("ADDR")
	if addr == "" {
		addr = "127.0.0.1:8080"
	}
	http.HandleFunc("/items", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, `{"items":[]}`)
	})
	log.Fatal(http.ListenAndServe(addr, nil))
}
