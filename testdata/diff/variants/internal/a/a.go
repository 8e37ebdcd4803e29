package a

import (
	"sort"
	"strings"
)

func Sum(args []string) int {
	total := 0
	for i, arg := range args {
		total += len(strings.TrimSpace(arg)) * (i + 1)
	}
	return total
}

func Words(text string) []string {
	seen := map[string]bool{}
	var out []string
	for _, w := range strings.Fields(text) {
		w = strings.ToLower(strings.Trim(w, ".,;:!?"))
		if w == "" || seen[w] {
			continue
		}
		seen[w] = true
		out = append(out, w)
	}
	sort.Strings(out)
	return out
}

// Clamp is small enough to be inlined into its callers.
func Clamp(n int) int {
	if n > 100 {
		return 100
	}
	return n
}
