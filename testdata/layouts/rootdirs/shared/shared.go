// Package shared is a library at the root.
package shared
