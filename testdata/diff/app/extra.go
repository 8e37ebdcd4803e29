//go:build extra

package main

import "strconv"

func init() {
	features = append(features, "extra:"+strconv.Itoa(len(features)+1))
}
