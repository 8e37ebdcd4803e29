// Package app is the function's logic.
package app
