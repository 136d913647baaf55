// mandelbrot N: the Mandelbrot set over [-1.5, 0.5] x [-1, 1] as an N x N P4 bitmap, 50
// iterations of z = z^2 + c. Rows are handed to one goroutine per CPU through an atomic
// counter; each row is computed 8 pixels (one output byte) at a time, the 8 pixels' z chains
// written out as separate variables so they overlap in the CPU (Go has no SIMD intrinsics).
// A pixel carries only zr and zi from one iteration to the next (zr*zr and zi*zi are
// recomputed for the escape test, the same roundings): with tr and ti carried too, Go's
// register allocator spilled half of the state to the stack every iteration (30% slower).
//
// A group runs its iterations in blocks of 5 and stops early only once all 8 pixels have
// escaped; a pixel's bit is then the final test |z|^2 <= 4. That equals testing after every
// iteration: for |c| < 1.81 (every pixel here) an escaped |z| > 2 only grows, and a sum that
// overflows to +Inf or NaN fails "<= 4" too. Every product is rounded before it is added
// (the float64 conversions forbid fused multiply-adds), so the bits are the reference's.
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

const (
	iterations = 50
	checkEvery = 5
)

// norm is |z|^2, each square rounded before the sum.
func norm(zr, zi float64) float64 { return float64(zr*zr) + float64(zi*zi) }

// group returns the output byte for 8 pixels with real parts cr and imaginary part ci
// (pixel 0 in the most significant bit).
func group(cr *[8]float64, ci float64) byte {
	var zr0, zi0 float64
	var zr1, zi1 float64
	var zr2, zi2 float64
	var zr3, zi3 float64
	var zr4, zi4 float64
	var zr5, zi5 float64
	var zr6, zi6 float64
	var zr7, zi7 float64
	for it := 0; it < iterations; it += checkEvery {
		for s := 0; s < checkEvery; s++ {
			tr0, ti0 := float64(zr0*zr0), float64(zi0*zi0)
			zi0 = float64((zr0+zr0)*zi0) + ci
			zr0 = float64(tr0-ti0) + cr[0]
			tr1, ti1 := float64(zr1*zr1), float64(zi1*zi1)
			zi1 = float64((zr1+zr1)*zi1) + ci
			zr1 = float64(tr1-ti1) + cr[1]
			tr2, ti2 := float64(zr2*zr2), float64(zi2*zi2)
			zi2 = float64((zr2+zr2)*zi2) + ci
			zr2 = float64(tr2-ti2) + cr[2]
			tr3, ti3 := float64(zr3*zr3), float64(zi3*zi3)
			zi3 = float64((zr3+zr3)*zi3) + ci
			zr3 = float64(tr3-ti3) + cr[3]
			tr4, ti4 := float64(zr4*zr4), float64(zi4*zi4)
			zi4 = float64((zr4+zr4)*zi4) + ci
			zr4 = float64(tr4-ti4) + cr[4]
			tr5, ti5 := float64(zr5*zr5), float64(zi5*zi5)
			zi5 = float64((zr5+zr5)*zi5) + ci
			zr5 = float64(tr5-ti5) + cr[5]
			tr6, ti6 := float64(zr6*zr6), float64(zi6*zi6)
			zi6 = float64((zr6+zr6)*zi6) + ci
			zr6 = float64(tr6-ti6) + cr[6]
			tr7, ti7 := float64(zr7*zr7), float64(zi7*zi7)
			zi7 = float64((zr7+zr7)*zi7) + ci
			zr7 = float64(tr7-ti7) + cr[7]
		}
		if norm(zr0, zi0) > 4 && norm(zr1, zi1) > 4 && norm(zr2, zi2) > 4 && norm(zr3, zi3) > 4 && norm(zr4, zi4) > 4 && norm(zr5, zi5) > 4 && norm(zr6, zi6) > 4 && norm(zr7, zi7) > 4 {
			return 0
		}
	}
	var b byte
	if norm(zr0, zi0) <= 4 {
		b |= 128
	}
	if norm(zr1, zi1) <= 4 {
		b |= 64
	}
	if norm(zr2, zi2) <= 4 {
		b |= 32
	}
	if norm(zr3, zi3) <= 4 {
		b |= 16
	}
	if norm(zr4, zi4) <= 4 {
		b |= 8
	}
	if norm(zr5, zi5) <= 4 {
		b |= 4
	}
	if norm(zr6, zi6) <= 4 {
		b |= 2
	}
	if norm(zr7, zi7) <= 4 {
		b |= 1
	}
	return b
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: mandelbrot N")
		os.Exit(2)
	}
	n, err := strconv.Atoi(os.Args[1])
	if err != nil || n < 0 {
		fmt.Fprintf(os.Stderr, "mandelbrot: N must be a non-negative integer, got %q\n", os.Args[1])
		os.Exit(2)
	}
	bytes := (n + 7) / 8
	// real parts of every column, padded to whole groups of 8
	cr := make([]float64, bytes*8)
	for x := range cr {
		cr[x] = 2.0*float64(x)/float64(n) - 1.5
	}
	rows := make([]byte, bytes*n)
	var next int64 = -1
	var wg sync.WaitGroup
	workers := runtime.NumCPU()
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				y := int(atomic.AddInt64(&next, 1))
				if y >= n {
					return
				}
				ci := 2.0*float64(y)/float64(n) - 1.0
				row := rows[y*bytes : (y+1)*bytes]
				for g := range row {
					row[g] = group((*[8]float64)(cr[g*8:g*8+8]), ci)
				}
				if n%8 != 0 { // bits past the right edge are zero
					row[bytes-1] &= byte(uint(0xFF00) >> uint(n%8))
				}
			}
		}()
	}
	wg.Wait()
	out := bufio.NewWriter(os.Stdout)
	fmt.Fprintf(out, "P4\n%d %d\n", n, n)
	out.Write(rows)
	out.Flush()
}
