// spectral_norm N: the Benchmarks Game's spectral-norm: u = 1; ten times v = AtA u,
// u = AtA v; then sqrt(u.v / v.v), A(i, j) = 1 / ((i+j)(i+j+1)/2 + i + 1), computed, not
// stored (in float64, exact for these integers). Each product's rows are shared among one
// goroutine per CPU; a row's dot product runs as four partial sums in a fixed order (the
// order hotpath's C kernel uses), which also keeps four divisions in flight.
package main

import (
	"fmt"
	"math"
	"os"
	"runtime"
	"strconv"
	"sync"
)

// rows sets out[i] = (A in)[i], or (At in)[i] when transpose, for i in [lo, hi).
func rows(in, out []float64, transpose bool, lo, hi int) {
	n := len(in)
	for i := lo; i < hi; i++ {
		di := float64(i)
		var a0, a1, a2, a3 float64
		j := 0
		for ; j+4 <= n; j += 4 {
			u := in[j : j+4 : j+4]
			j0 := float64(j)
			j1, j2, j3 := j0+1, j0+2, j0+3
			s0, s1, s2, s3 := di+j0, di+j1, di+j2, di+j3
			var d0, d1, d2, d3 float64
			if transpose {
				d0 = s0*(s0+1)*0.5 + j0 + 1
				d1 = s1*(s1+1)*0.5 + j1 + 1
				d2 = s2*(s2+1)*0.5 + j2 + 1
				d3 = s3*(s3+1)*0.5 + j3 + 1
			} else {
				d0 = s0*(s0+1)*0.5 + di + 1
				d1 = s1*(s1+1)*0.5 + di + 1
				d2 = s2*(s2+1)*0.5 + di + 1
				d3 = s3*(s3+1)*0.5 + di + 1
			}
			a0 += u[0] / d0
			a1 += u[1] / d1
			a2 += u[2] / d2
			a3 += u[3] / d3
		}
		sum := (a0 + a1) + (a2 + a3)
		for ; j < n; j++ {
			s := di + float64(j)
			var d float64
			if transpose {
				d = s*(s+1)*0.5 + float64(j) + 1
			} else {
				d = s*(s+1)*0.5 + di + 1
			}
			sum += in[j] / d
		}
		out[i] = sum
	}
}

// mul is rows over all of out, shared among the workers.
func mul(in, out []float64, transpose bool, workers int) {
	n := len(in)
	if n < 256 || workers == 1 {
		rows(in, out, transpose, 0, n)
		return
	}
	var wg sync.WaitGroup
	per := (n + workers - 1) / workers
	for lo := 0; lo < n; lo += per {
		hi := lo + per
		if hi > n {
			hi = n
		}
		wg.Add(1)
		go func(lo, hi int) {
			defer wg.Done()
			rows(in, out, transpose, lo, hi)
		}(lo, hi)
	}
	wg.Wait()
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: spectral_norm N")
		os.Exit(2)
	}
	n, err := strconv.Atoi(os.Args[1])
	if err != nil || n < 0 {
		fmt.Fprintf(os.Stderr, "spectral_norm: N must be a non-negative integer, got %q\n", os.Args[1])
		os.Exit(2)
	}
	workers := runtime.NumCPU()
	u, v, t := make([]float64, n), make([]float64, n), make([]float64, n)
	for i := range u {
		u[i] = 1
	}
	for it := 0; it < 10; it++ {
		mul(u, t, false, workers)
		mul(t, v, true, workers)
		mul(v, t, false, workers)
		mul(t, u, true, workers)
	}
	var vbv, vv float64
	for i := 0; i < n; i++ {
		vbv += u[i] * v[i]
		vv += v[i] * v[i]
	}
	r := math.Sqrt(vbv / vv)
	if math.IsNaN(r) { // N = 0: 0/0, spelled as C's printf does (x86's 0/0 has the sign bit)
		if math.Signbit(r) {
			fmt.Println("-nan")
		} else {
			fmt.Println("nan")
		}
		return
	}
	fmt.Printf("%0.9f\n", r)
}
