// Command indirect starts Lambda through internal/runner.
package main

import "example.com/layouts/skipped/internal/runner"

func main() { runner.Run() }
