// tasks N MODE FIB: N goroutines, goroutine i computing fib(i % 30); the results come back
// over a channel and main prints their sum. MODE run: each goroutine starts computing at
// once. MODE hold: every goroutine first blocks on a release channel that main closes after
// the last one is spawned, so all N are alive at once (peak RSS / N is the cost of a live
// goroutine). FIB recursive: the naive doubly recursive fibonacci; iterative: a loop.
package main

import (
	"fmt"
	"os"
	"strconv"
)

func fibRecursive(n int) int {
	if n < 2 {
		return n
	}
	return fibRecursive(n-1) + fibRecursive(n-2)
}

func fibIterative(n int) int {
	a, b := 0, 1
	for i := 0; i < n; i++ {
		a, b = b, a+b
	}
	return a
}

func usage(msg string) {
	fmt.Fprintf(os.Stderr, "tasks: %s\nusage: tasks N run|hold recursive|iterative\n", msg)
	os.Exit(2)
}

func main() {
	if len(os.Args) != 4 {
		usage("expected 3 arguments")
	}
	n, err := strconv.Atoi(os.Args[1])
	if err != nil || n < 0 {
		usage("N must be a non-negative integer, got " + strconv.Quote(os.Args[1]))
	}
	mode := os.Args[2]
	if mode != "run" && mode != "hold" {
		usage("MODE must be run or hold, got " + strconv.Quote(mode))
	}
	var fib func(int) int
	switch os.Args[3] {
	case "recursive":
		fib = fibRecursive
	case "iterative":
		fib = fibIterative
	default:
		usage("FIB must be recursive or iterative, got " + strconv.Quote(os.Args[3]))
	}
	// Buffered to N: a goroutine that has its result never waits for main to take it.
	results := make(chan int, n)
	if mode == "run" {
		for i := 0; i < n; i++ {
			go func(i int) { results <- fib(i % 30) }(i)
		}
	} else {
		release := make(chan struct{})
		for i := 0; i < n; i++ {
			go func(i int) {
				<-release
				results <- fib(i % 30)
			}(i)
		}
		close(release)
	}
	sum := 0
	for i := 0; i < n; i++ {
		sum += <-results
	}
	fmt.Println(sum)
}
