// Command healthcheck is an example Lambda function that speaks the Lambda
// Runtime API with the standard library only.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
)

type status struct {
	Status   string          `json:"status"`
	Function string          `json:"function"`
	Event    json.RawMessage `json:"event"`
}

func main() {
	api := "http://" + os.Getenv("AWS_LAMBDA_RUNTIME_API") + "/2018-06-01/runtime/invocation/"
	for {
		resp, err := http.Get(api + "next")
		if err != nil {
			fmt.Fprintln(os.Stderr, "healthcheck: next:", err)
			os.Exit(1)
		}
		event, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		id := resp.Header.Get("Lambda-Runtime-Aws-Request-Id")
		fmt.Fprintf(os.Stderr, "healthcheck: request %s\n", id)
		if !json.Valid(event) {
			event = []byte("null")
		}
		body, _ := json.Marshal(status{Status: "ok", Function: os.Getenv("AWS_LAMBDA_FUNCTION_NAME"), Event: event})
		post, err := http.Post(api+id+"/response", "application/json", bytes.NewReader(body))
		if err != nil {
			fmt.Fprintln(os.Stderr, "healthcheck: response:", err)
			os.Exit(1)
		}
		post.Body.Close()
	}
}
