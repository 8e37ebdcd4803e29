//go:build ignore

// store.go is shared by nothing: kept out of every build by its constraint.
package main
