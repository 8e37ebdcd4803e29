package main

// int halve_c(int x) { return x / 2; }
import "C"

func halve(x int) int {
	return int(C.halve_c(C.int(x)))
}
