// fannkuch_redux N: the Benchmarks Game's fannkuch-redux. The N! permutations, in the
// reference order, are cut into chunks by index; one goroutine per CPU takes chunks from a
// shared counter, starts each at its index (from the factorial number system), walks the
// chunk with the reference's count-array successor, and counts flips on the permutation
// packed into one word, 4 bits an element (a flip is a nibble reversal, a shift and a mask). The
// checksum adds the flips of even-indexed permutations and subtracts the odd ones'.
package main

import (
	"fmt"
	"math/bits"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
)

const maxN = 16

type result struct{ checksum, maxFlips int }

// reversePrefix reverses the first m (1..16) nibbles of x (nibble j: bits 4j..4j+3) and keeps
// the others: x with all 16 nibbles reversed, shifted down by 16 - m nibbles, has old nibble
// m-1-j at nibble j.
func reversePrefix(x uint64, m uint64) uint64 {
	r := bits.ReverseBytes64(x)
	r = r>>4&0x0F0F0F0F0F0F0F0F | r&0x0F0F0F0F0F0F0F0F<<4
	s := (64 - 4*m) & 63
	mask := ^uint64(0) >> s
	return r>>s&mask | x&^mask
}

// chunk returns the checksum and the most flips over permutations [lo, hi).
func chunk(n int, fact []int, lo, hi int) result {
	var p, pp [maxN]int
	var count [maxN + 1]int
	for i := range p[:n] {
		p[i] = i
	}
	idx := lo
	for i := n - 1; i > 0; i-- {
		d := idx / fact[i]
		idx %= fact[i]
		count[i] = d
		pp = p
		for j := 0; j <= i; j++ {
			if j+d <= i {
				p[j] = pp[j+d]
			} else {
				p[j] = pp[j+d-i-1]
			}
		}
	}
	// the permutation as 16 nibbles of a word, element j in nibble j
	var perm uint64
	for j := n - 1; j >= 0; j-- {
		perm = perm<<4 | uint64(p[j])
	}
	var r result
	for i := lo; ; {
		if perm&15 != 0 {
			flips := 0
			x := perm
			for f := x & 15; f != 0; f = x & 15 {
				x = reversePrefix(x, f+1)
				flips++
			}
			if flips > r.maxFlips {
				r.maxFlips = flips
			}
			if i%2 == 0 {
				r.checksum += flips
			} else {
				r.checksum -= flips
			}
		}
		i++
		if i >= hi {
			return r
		}
		// the successor: rotate the first two left by one (a swap), then longer prefixes
		// while their counters roll over
		perm = rotatePrefix(perm, 2)
		k := 1
		for count[k]++; count[k] > k; count[k]++ {
			count[k] = 0
			k++
			perm = rotatePrefix(perm, uint64(k+1))
		}
	}
}

// rotatePrefix rotates the first m (2..16) nibbles of x left by one: nibble 0 moves to
// nibble m-1, the others down by one.
func rotatePrefix(x uint64, m uint64) uint64 {
	keep := ^uint64(0) >> ((64 - 4*m) & 63) // the first m nibbles
	return (x>>4)&(keep>>4) | (x&15)<<((4*m-4)&63) | x&^keep
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: fannkuch_redux N")
		os.Exit(2)
	}
	n, err := strconv.Atoi(os.Args[1])
	if err != nil || n < 1 || n > 12 {
		fmt.Fprintf(os.Stderr, "fannkuch_redux: N must be an integer from 1 to 12, got %q\n", os.Args[1])
		os.Exit(2)
	}
	fact := make([]int, n+1)
	fact[0] = 1
	for i := 1; i <= n; i++ {
		fact[i] = fact[i-1] * i
	}
	total := fact[n]
	workers := runtime.NumCPU()
	size := total / (workers * 64)
	if size < 1 {
		size = 1
	}
	chunks := (total + size - 1) / size
	var next int64 = -1
	results := make(chan result, workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var r result
			for {
				c := int(atomic.AddInt64(&next, 1))
				if c >= chunks {
					break
				}
				hi := (c + 1) * size
				if hi > total {
					hi = total
				}
				cr := chunk(n, fact, c*size, hi)
				r.checksum += cr.checksum
				if cr.maxFlips > r.maxFlips {
					r.maxFlips = cr.maxFlips
				}
			}
			results <- r
		}()
	}
	wg.Wait()
	close(results)
	var r result
	for wr := range results {
		r.checksum += wr.checksum
		if wr.maxFlips > r.maxFlips {
			r.maxFlips = wr.maxFlips
		}
	}
	fmt.Printf("%d\nPfannkuchen(%d) = %d\n", r.checksum, n, r.maxFlips)
}
