// fasta N: the Benchmarks Game's fasta: 2N letters cycled from the ALU sequence, then 3N and
// 5N letters drawn with the reference's generator (seed = (seed*IA + IC) % IM, random =
// seed / IM) from two weighted tables, in lines of 60. As in hotpath's C kernel, each table
// is expanded once into an IM-entry letter table (the letter each generator state picks,
// by the reference's comparison), so a letter is one multiply-modulo and one load.
package main

import (
	"fmt"
	"os"
	"strconv"
)

const (
	im   = 139968
	ia   = 3877
	ic   = 29573
	line = 60
)

const alu = "GGCCGGGCGCGGTGGCTCACGCCTGTAATCCCAGCACTTTGG" +
	"GAGGCCGAGGCGGGCGGATCACCTGAGGTCAGGAGTTCGAGA" +
	"CCAGCCTGGCCAACATGGTGAAACCCCGTCTCTACTAAAAAT" +
	"ACAAAAATTAGCCGGGCGTGGTGGCGCGCGCCTGTAATCCCA" +
	"GCTACTCGGGAGGCTGAGGCAGGAGAATCGCTTGAACCCGGG" +
	"AGGCGGAGGTTGCAGTGAGCCGAGATCGCGCCACTGCACTCC" +
	"AGCCTGGGCGACAGAGCGAGACTCCGTCTCAAAAA"

type weighted struct {
	c byte
	p float64
}

var iub = []weighted{
	{'a', 0.27}, {'c', 0.12}, {'g', 0.12}, {'t', 0.27}, {'B', 0.02},
	{'D', 0.02}, {'H', 0.02}, {'K', 0.02}, {'M', 0.02}, {'N', 0.02},
	{'R', 0.02}, {'S', 0.02}, {'V', 0.02}, {'W', 0.02}, {'Y', 0.02},
}

var homo = []weighted{
	{'a', 0.3029549426680}, {'c', 0.1979883004921},
	{'g', 0.1975473066391}, {'t', 0.3015094502008},
}

// expand returns, for every generator state s, the first letter whose cumulative
// probability (summed in table order) exceeds s / IM.
func expand(w []weighted) []byte {
	cum := make([]float64, len(w))
	cp := 0.0
	for i := range w {
		cp += w[i].p
		cum[i] = cp
	}
	letters := make([]byte, im)
	for s := range letters {
		r := 1.0 * float64(s) / im
		i := 0
		for i < len(w)-1 && !(r < cum[i]) {
			i++
		}
		letters[s] = w[i].c
	}
	return letters
}

// repeat appends n letters cycled from alu, in lines.
func repeat(out []byte, n int) []byte {
	at := 0
	for n > 0 {
		m := n
		if m > line {
			m = line
		}
		for i := 0; i < m; i++ {
			out = append(out, alu[at])
			if at++; at == len(alu) {
				at = 0
			}
		}
		out = append(out, '\n')
		n -= m
	}
	return out
}

// random appends n letters picked by the generator, in lines; it advances *seed.
func random(out []byte, n int, letters []byte, seed *uint32) []byte {
	s := *seed
	l := letters[:im]
	for n > 0 {
		m := n
		if m > line {
			m = line
		}
		for i := 0; i < m; i++ {
			s = (s*ia + ic) % im
			out = append(out, l[s])
		}
		out = append(out, '\n')
		n -= m
	}
	*seed = s
	return out
}

func linesLen(n int) int { return n + (n+line-1)/line }

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: fasta N")
		os.Exit(2)
	}
	n, err := strconv.Atoi(os.Args[1])
	if err != nil || n < 0 || n > 1<<28 {
		fmt.Fprintf(os.Stderr, "fasta: N must be an integer from 0 to %d, got %q\n", 1<<28, os.Args[1])
		os.Exit(2)
	}
	const h1, h2, h3 = ">ONE Homo sapiens alu\n", ">TWO IUB ambiguity codes\n", ">THREE Homo sapiens frequency\n"
	out := make([]byte, 0, len(h1)+len(h2)+len(h3)+linesLen(2*n)+linesLen(3*n)+linesLen(5*n))
	seed := uint32(42)
	out = append(out, h1...)
	out = repeat(out, 2*n)
	out = append(out, h2...)
	out = random(out, 3*n, expand(iub), &seed)
	out = append(out, h3...)
	out = random(out, 5*n, expand(homo), &seed)
	if _, err := os.Stdout.Write(out); err != nil {
		fmt.Fprintln(os.Stderr, "fasta:", err)
		os.Exit(1)
	}
}
