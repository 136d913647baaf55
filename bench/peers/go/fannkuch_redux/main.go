// fannkuch_redux N: the Benchmarks Game's fannkuch-redux. The N! permutations, in the
// reference order, are cut into chunks by index; one goroutine per CPU takes chunks from a
// shared counter, starts each at its index (from the factorial number system), walks the
// chunk with the reference's count-array successor, and counts flips on the permutation
// packed into two words (a flip is a byte reversal, a shift and a mask). The
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

func min(a, b int) int {
	if a < b {
		return a
	}
	return b
}

// masks of the first m bytes of a 16-byte value held as two words, for m in 0..16 (the tables
// are 32 long so that an index masked with 31 needs no bounds check)
var maskLo, maskHi [32]uint64

func init() {
	for m := 0; m <= 16; m++ {
		for j := 0; j < m; j++ {
			if j < 8 {
				maskLo[m] |= 0xFF << uint(8*j)
			} else {
				maskHi[m] |= 0xFF << uint(8*(j-8))
			}
		}
	}
}

// reversePrefix reverses the first m (1..16) bytes of the 16-byte value hi:lo (byte j of the
// value is byte j%8 of lo for j < 8, of hi otherwise) and keeps the others: the whole value
// byte-reversed, then shifted down by 16 - m bytes, puts old byte m-1-j at byte j. Shifts by
// 64 or more give 0 in Go, which makes the two-word shift branch-free.
func reversePrefix(lo, hi, m uint64) (uint64, uint64) {
	rlo, rhi := bits.ReverseBytes64(hi), bits.ReverseBytes64(lo)
	s := 8 * (16 - m)
	slo := rlo>>s | rhi<<(64-s) | rhi>>(s-64)
	shi := rhi >> s
	ml, mh := maskLo[m&31], maskHi[m&31]
	return slo&ml | lo&^ml, shi&mh | hi&^mh
}

// chunk returns the checksum and the most flips over permutations [lo, hi).
func chunk(n int, fact []int, lo, hi int) result {
	var p, pp, count [maxN]int
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
	var r result
	for i := lo; ; {
		if p[0] != 0 {
			// the permutation as 16 bytes in two words, element j in byte j
			var lo, hi uint64
			for j := n - 1; j >= 8; j-- {
				hi = hi<<8 | uint64(p[j])
			}
			for j := min(n, 8) - 1; j >= 0; j-- {
				lo = lo<<8 | uint64(p[j])
			}
			flips := 0
			for f := lo & 0xFF; f != 0; f = lo & 0xFF {
				lo, hi = reversePrefix(lo, hi, f+1)
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
		// the successor: swap the first two, then rotate longer prefixes while their
		// counters roll over
		first := p[1]
		p[1] = p[0]
		p[0] = first
		k := 1
		for count[k]++; count[k] > k; count[k]++ {
			count[k] = 0
			k++
			next := p[1]
			p[0] = next
			for j := 1; j < k; j++ {
				p[j] = p[j+1]
			}
			p[k] = first
			first = next
		}
	}
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
