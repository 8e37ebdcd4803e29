// Package shop is shared code, not a function.
package shop

// Name is the shop's name.
const Name = "shop"
