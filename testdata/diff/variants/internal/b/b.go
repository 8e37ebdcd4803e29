package b

import (
	"fmt"
	"strconv"
	"strings"

	"example.com/m/internal/a"
)

type Shape interface {
	Area() float64
	Name() string
}

type Rect struct{ W, H float64 }

func (r Rect) Area() float64 { return r.W * r.H }
func (r Rect) Name() string  { return "rect " + strconv.FormatFloat(r.W, 'f', 2, 64) }

func Describe(shapes []Shape) string {
	var sb strings.Builder
	for i, s := range shapes {
		fmt.Fprintf(&sb, "%d: %s area=%.3f\n", i, s.Name(), s.Area())
	}
	fmt.Fprintf(&sb, "%d shapes\n", a.Clamp(len(shapes)))
	return sb.String()
}

func Parse(spec string) (Shape, error) {
	kind, rest, _ := strings.Cut(spec, ":")
	var vals []float64
	for _, n := range strings.Split(rest, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(n), 64)
		if err != nil {
			return nil, fmt.Errorf("parse %q: %w", spec, err)
		}
		vals = append(vals, v)
	}
	if kind == "rect" && len(vals) == 2 {
		return Rect{vals[0], vals[1]}, nil
	}
	return nil, fmt.Errorf("unknown shape %q", spec)
}

//ADD
