// mandelbrot_single N: the Mandelbrot set as an N x N P4 bitmap in the plain single-threaded
// style: every pixel iterates z = z^2 + c until |z|^2 > 4 or 50 iterations, one bit each.
// (Go 1.19 fuses no multiply-add on amd64, even for GOAMD64=v3, so each product is rounded
// before it is added, as in the reference programs.)
package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: mandelbrot_single N")
		os.Exit(2)
	}
	n, err := strconv.Atoi(os.Args[1])
	if err != nil || n < 0 {
		fmt.Fprintf(os.Stderr, "mandelbrot_single: N must be a non-negative integer, got %q\n", os.Args[1])
		os.Exit(2)
	}
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	fmt.Fprintf(out, "P4\n%d %d\n", n, n)
	for y := 0; y < n; y++ {
		ci := 2*float64(y)/float64(n) - 1
		var bits byte
		for x := 0; x < n; x++ {
			cr := 2*float64(x)/float64(n) - 1.5
			zr, zi, tr, ti := 0.0, 0.0, 0.0, 0.0
			for i := 0; i < 50 && tr+ti <= 4; i++ {
				zi = 2*zr*zi + ci
				zr = tr - ti + cr
				tr = zr * zr
				ti = zi * zi
			}
			bits <<= 1
			if tr+ti <= 4 {
				bits |= 1
			}
			if x%8 == 7 {
				out.WriteByte(bits)
				bits = 0
			}
		}
		if n%8 != 0 { // the last byte of a row, padded with zero bits
			out.WriteByte(bits << uint(8-n%8))
		}
	}
}
