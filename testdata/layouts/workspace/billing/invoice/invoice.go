// Package invoice is billing's library; orders uses it through the workspace only (its go.mod
// does not require billing).
package invoice

// Number is the next invoice number.
func Number() string { return "INV-1" }
