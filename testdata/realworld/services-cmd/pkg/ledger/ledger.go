// Package ledger holds what the services share.
package ledger

// Entry is one movement on an account.
type Entry struct {
	Account string `json:"account"`
	Cents   int64  `json:"cents"`
}

// Receipt is what a service answers.
type Receipt struct {
	Function string `json:"function"`
	Account  string `json:"account"`
	Balance  int64  `json:"balance"`
}
