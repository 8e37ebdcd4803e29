// Package greet is a small dependency; testdata/diff keeps two versions of it.
package greet

import "strings"

// Hello greets a name.
//
//go:noinline
func Hello(name string) string {
	if name == "" {
		name = "world"
	}
	return "hello, " + name
}

// Shout greets loudly.
func Shout(name string) string {
	return strings.ToUpper(Hello(name)) + "!"
}
