// Package models holds types.
package models

// Order is an order.
type Order struct{}
