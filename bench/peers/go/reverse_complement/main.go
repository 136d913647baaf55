// reverse_complement: the Benchmarks Game's reverse-complement of the fasta text on stdin.
// For each record the header is copied and the sequence, its line breaks stripped, is
// written back complemented and reversed in lines of 60. As in hotpath's C kernel the output
// lines are independent of each other, so for a long record one goroutine per CPU writes a
// share of them straight into the output buffer.
package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"
)

const line = 60

var comp [256]byte

func init() {
	for i := range comp {
		comp[i] = byte(i)
	}
	from, to := "ACGTUMRWSYKVHDBN", "TGCAAKYWSRMBDHVN"
	for i := 0; i < len(from); i++ {
		comp[from[i]] = to[i]
		comp[from[i]|0x20] = to[i]
	}
}

// lines writes output lines [lo, hi) of seq's reverse complement into out.
func lines(seq, out []byte, lo, hi int) {
	n := len(seq)
	for l := lo; l < hi; l++ {
		from := l * line
		m := n - from
		if m > line {
			m = line
		}
		o := out[l*(line+1) : l*(line+1)+m+1]
		src := seq[n-from-m : n-from]
		for i := 0; i < m; i++ {
			o[i] = comp[src[m-1-i]]
		}
		o[m] = '\n'
	}
}

// readAll reads f to its end, in one buffer of the right size when f is a regular file.
func readAll(f *os.File) ([]byte, error) {
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() && st.Size() > 0 {
		buf := bytes.NewBuffer(make([]byte, 0, st.Size()+bytes.MinRead))
		_, err := buf.ReadFrom(f)
		return buf.Bytes(), err
	}
	return io.ReadAll(f)
}

func main() {
	in, err := readAll(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "reverse_complement:", err)
		os.Exit(1)
	}
	out := make([]byte, 0, len(in)+len(in)/line+2)
	seq := make([]byte, 0, len(in))
	p := in
	// skip to the first header
	for len(p) > 0 && p[0] != '>' {
		nl := bytes.IndexByte(p, '\n')
		if nl < 0 {
			p = nil
		} else {
			p = p[nl+1:]
		}
	}
	workers := runtime.NumCPU()
	for len(p) > 0 {
		nl := bytes.IndexByte(p, '\n')
		if nl < 0 {
			nl = len(p)
		}
		out = append(out, p[:nl]...)
		out = append(out, '\n')
		if nl < len(p) {
			nl++
		}
		p = p[nl:]
		seq = seq[:0]
		for len(p) > 0 && p[0] != '>' {
			nl := bytes.IndexByte(p, '\n')
			next := nl + 1
			if nl < 0 {
				nl, next = len(p), len(p)
			}
			l := p[:nl]
			if len(l) > 0 && l[len(l)-1] == '\r' {
				l = l[:len(l)-1]
			}
			seq = append(seq, l...)
			p = p[next:]
		}
		nlines := (len(seq) + line - 1) / line
		at := len(out)
		out = out[:at+len(seq)+nlines]
		dst := out[at:]
		if len(seq) < 1<<20 || workers == 1 {
			lines(seq, dst, 0, nlines)
			continue
		}
		var wg sync.WaitGroup
		per := (nlines + workers - 1) / workers
		for lo := 0; lo < nlines; lo += per {
			hi := lo + per
			if hi > nlines {
				hi = nlines
			}
			wg.Add(1)
			go func(lo, hi int) {
				defer wg.Done()
				lines(seq, dst, lo, hi)
			}(lo, hi)
		}
		wg.Wait()
	}
	if _, err := os.Stdout.Write(out); err != nil {
		fmt.Fprintln(os.Stderr, "reverse_complement:", err)
		os.Exit(1)
	}
}
