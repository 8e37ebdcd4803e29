// Command gen is a code generator, not a Lambda function.
package main

import "fmt"

func main() { fmt.Println("gen") }
