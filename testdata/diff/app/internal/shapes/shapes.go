// Package shapes parses shape specs such as "rect:2,3" and sums their areas.
package shapes

import (
	"fmt"
	"strconv"
	"strings"
)

// Shape has an area.
type Shape interface {
	Area() float64
}

// Rect is a rectangle.
type Rect struct{ W, H float64 }

// Area is width times height.
func (r Rect) Area() float64 { return r.W * r.H }

// Parse reads "rect:W,H".
func Parse(spec string) (Shape, error) {
	kind, rest, _ := strings.Cut(spec, ":")
	var values []float64
	for _, field := range strings.Split(rest, ",") {
		value, err := strconv.ParseFloat(strings.TrimSpace(field), 64)
		if err != nil {
			return nil, fmt.Errorf("parse %q: %w", spec, err)
		}
		values = append(values, value)
	}
	if kind == "rect" && len(values) == 2 {
		return Rect{values[0], values[1]}, nil
	}
	return nil, fmt.Errorf("unknown shape %q", spec)
}

// Describe formats a total area.
func Describe(total float64) string {
	return "total area " + strconv.FormatFloat(total, 'f', 2, 64)
}

// Count counts the specs that name a rectangle.
//
//go:noinline
func Count(specs []string) int {
	n := 0
	for _, spec := range specs {
		if strings.HasPrefix(spec, "rect:") {
			n++
		}
	}
	return n
}
