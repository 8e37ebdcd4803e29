// Package audit also imports the refused module: Go reports it once for each import.
package audit

import "example.com/private/lib"

// Tag labels an audit record with the library's name.
func Tag(event string) string { return lib.Name() + ":" + event }
