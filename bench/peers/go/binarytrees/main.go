// binarytrees N: the Benchmarks Game's binary-trees. Like hotpath's C kernel, trees live in
// per-worker arenas (a node is two 32-bit child indices, 8 bytes) that are reset for every
// tree, instead of one heap object per node for the garbage collector, and built and walked
// the way the C kernel does (leaves handled by their parents). The trees of each
// depth are split into chunks that one goroutine per CPU takes from a shared counter.
package main

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
)

// node: two child indices; 0 is the null link, so a tree's nodes start at index 1.
type node struct{ left, right uint32 }

type arena struct {
	nodes []node
	used  uint32
}

func newArena(depth int) *arena {
	return &arena{nodes: make([]node, 1<<uint(depth+1))}
}

// build makes a perfect tree of the given depth (pre-order) and returns its root. As in
// hotpath's C kernel, the nodes just above the leaves write their two leaves themselves:
// half the nodes are leaves, so that halves the calls.
func (a *arena) build(depth int) uint32 {
	me := a.used
	a.used++
	var l, r uint32
	if depth > 1 {
		l = a.build(depth - 1)
		r = a.build(depth - 1)
	} else if depth == 1 {
		l, r = a.used, a.used+1
		a.used += 2
		a.nodes[l] = node{}
		a.nodes[r] = node{}
	}
	a.nodes[me] = node{l, r}
	return me
}

// check counts the nodes under i; a child that is a leaf is counted without a call.
func (a *arena) check(i uint32) int {
	t := a.nodes[i]
	if t.left == 0 {
		return 1
	}
	n := 1
	if a.nodes[t.left].left != 0 {
		n += a.check(t.left)
	} else {
		n++
	}
	if a.nodes[t.right].left != 0 {
		n += a.check(t.right)
	} else {
		n++
	}
	return n
}

// tree builds, checks and drops one tree of the given depth.
func (a *arena) tree(depth int) int {
	a.used = 1
	return a.check(a.build(depth))
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: binarytrees N")
		os.Exit(2)
	}
	n, err := strconv.Atoi(os.Args[1])
	if err != nil || n < 0 || n > 28 {
		fmt.Fprintf(os.Stderr, "binarytrees: N must be an integer from 0 to 28, got %q\n", os.Args[1])
		os.Exit(2)
	}
	const minDepth = 4
	maxDepth := n
	if minDepth+2 > n {
		maxDepth = minDepth + 2
	}
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	stretch := maxDepth + 1
	fmt.Fprintf(out, "stretch tree of depth %d\t check: %d\n", stretch, newArena(stretch).tree(stretch))

	long := newArena(maxDepth)
	long.used = 1
	longRoot := long.build(maxDepth)

	type job struct{ depth, count int }
	var jobs []job
	var depths []int
	iterations := map[int]int{}
	for d := minDepth; d <= maxDepth; d += 2 {
		iters := 1 << uint(maxDepth-d+minDepth)
		depths = append(depths, d)
		iterations[d] = iters
		chunk := iters/(8*runtime.NumCPU()) + 1
		for done := 0; done < iters; done += chunk {
			m := chunk
			if iters-done < m {
				m = iters - done
			}
			jobs = append(jobs, job{d, m})
		}
	}
	checks := make([]int64, maxDepth+1)
	var next int64 = -1
	var wg sync.WaitGroup
	for w := 0; w < runtime.NumCPU(); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a := newArena(maxDepth)
			for {
				j := int(atomic.AddInt64(&next, 1))
				if j >= len(jobs) {
					return
				}
				sum := 0
				for i := 0; i < jobs[j].count; i++ {
					sum += a.tree(jobs[j].depth)
				}
				atomic.AddInt64(&checks[jobs[j].depth], int64(sum))
			}
		}()
	}
	wg.Wait()
	for _, d := range depths {
		fmt.Fprintf(out, "%d\t trees of depth %d\t check: %d\n", iterations[d], d, checks[d])
	}
	fmt.Fprintf(out, "long lived tree of depth %d\t check: %d\n", maxDepth, long.check(longRoot))
}
