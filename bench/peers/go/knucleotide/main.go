// knucleotide: the Benchmarks Game's k-nucleotide over the fasta text on stdin (the
// ">THREE" record). Letters become 2-bit codes (A=0 C=1 G=2 T=3, so numeric key order is
// letter order) and a k-mer is its codes packed into an integer, first letter highest.
// As in hotpath's C kernel there are three jobs, one goroutine each: the 6-mers in a direct
// table of 4096 counters (the k-mers of k <= 6 are sums over the 6-mers they start, plus the
// last 5 positions), and the 12-mers and the 18-mers each in an open-addressing hash table.
package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"sort"
	"sync"
)

// table counts keys with linear probing. A slot is (key+1)<<countBits | count, 0 when
// empty, so a probe is one 8-byte load (18-mer keys take 36 bits, counts get 27).
type table struct {
	slots []uint64
	shift uint // 64 - log2(len(slots))
	used  int
}

const (
	countBits  = 27
	maxLetters = 1<<countBits - 1
)

func newTable(log2 uint) *table {
	return &table{slots: make([]uint64, 1<<log2), shift: 64 - log2}
}

func (t *table) home(key uint64) uint64 { return (key * 0x9E3779B97F4A7C15) >> t.shift }

// add counts one more key, growing the table past three quarters full.
func (t *table) add(key uint64) {
	mask := uint64(len(t.slots) - 1)
	tag := (key + 1) << countBits
	for i := t.home(key); ; i = (i + 1) & mask {
		s := t.slots[i]
		if s>>countBits == key+1 {
			t.slots[i] = s + 1
			return
		}
		if s == 0 {
			t.slots[i] = tag | 1
			t.used++
			if 4*t.used > 3*len(t.slots) {
				t.grow()
			}
			return
		}
	}
}

func (t *table) grow() {
	old := t.slots
	t.slots = make([]uint64, 2*len(old))
	t.shift--
	mask := uint64(len(t.slots) - 1)
	for _, s := range old {
		if s == 0 {
			continue
		}
		i := t.home(s>>countBits - 1)
		for t.slots[i] != 0 {
			i = (i + 1) & mask
		}
		t.slots[i] = s
	}
}

func (t *table) get(key uint64) uint64 {
	mask := uint64(len(t.slots) - 1)
	for i := t.home(key); ; i = (i + 1) & mask {
		s := t.slots[i]
		if s>>countBits == key+1 {
			return s & maxLetters
		}
		if s == 0 {
			return 0
		}
	}
}

// count adds every k-mer of seq to t.
func (t *table) count(seq []byte, k int) {
	mask := uint64(1)<<uint(2*k) - 1
	var key uint64
	for i, c := range seq {
		key = (key<<2 | uint64(c)) & mask
		if i >= k-1 {
			t.add(key)
		}
	}
}

// readThree returns the codes of the ">THREE" record's letters.
func readThree(r io.Reader) ([]byte, error) {
	in := bufio.NewReaderSize(r, 1<<16)
	var code [256]byte
	for i := range code {
		code[i] = 0xFF
	}
	for i, c := range []byte("ACGT") {
		code[c] = byte(i)
		code[c|0x20] = byte(i)
	}
	found := false
	seq := make([]byte, 0, 1<<20)
	for {
		line, err := in.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			return nil, fmt.Errorf("a line longer than %d bytes", in.Size())
		}
		if len(line) > 0 {
			if line[0] == '>' {
				if found {
					break
				}
				found = bytes.HasPrefix(line, []byte(">THREE"))
			} else if found {
				line = bytes.TrimRight(line, "\r\n")
				var bad byte
				for _, c := range line {
					cd := code[c]
					bad |= cd
					seq = append(seq, cd)
				}
				if bad&0x80 != 0 {
					return nil, fmt.Errorf("a byte that is not a nucleotide in %q", line)
				}
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	if !found {
		return nil, fmt.Errorf("no \">THREE\" header in the input")
	}
	return seq, nil
}

const small = 6

func letters(key uint64, k int) string {
	b := make([]byte, k)
	for i := k - 1; i >= 0; i-- {
		b[i] = "ACGT"[key&3]
		key >>= 2
	}
	return string(b)
}

func main() {
	seq, err := readThree(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "knucleotide:", err)
		os.Exit(1)
	}
	n := len(seq)
	if n > maxLetters {
		fmt.Fprintf(os.Stderr, "knucleotide: the sequence must have at most %d letters, got %d\n", maxLetters, n)
		os.Exit(1)
	}
	log2 := uint(12)
	if n > 1<<20 {
		log2 = 18
	}
	big12, big18 := newTable(log2), newTable(log2)
	var six [4096]uint64
	var wg sync.WaitGroup
	wg.Add(3)
	go func() { defer wg.Done(); big12.count(seq, 12) }()
	go func() { defer wg.Done(); big18.count(seq, 18) }()
	go func() {
		defer wg.Done()
		var key uint64
		for i, c := range seq {
			key = (key<<2 | uint64(c)) & 4095
			if i >= small-1 {
				six[key]++
			}
		}
	}()
	wg.Wait()
	// k <= 6: sums over the 6-mers each k-mer starts, plus the k-mers starting in the last 5
	// positions
	var counts [small + 1][4096]uint64
	for key := uint64(0); key < 4096; key++ {
		for k := 1; k <= small; k++ {
			counts[k][key>>uint(2*(small-k))] += six[key]
		}
	}
	start := 0
	if n >= small {
		start = n - small + 1
	}
	for p := start; p < n; p++ {
		var key uint64
		for k := 1; k < small && p+k <= n; k++ {
			key = key<<2 | uint64(seq[p+k-1])
			counts[k][key]++
		}
	}
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	type freq struct{ key, count uint64 }
	for k := 1; k <= 2; k++ {
		var f []freq
		var total uint64
		for key := uint64(0); key < 1<<uint(2*k); key++ {
			if c := counts[k][key]; c > 0 {
				f = append(f, freq{key, c})
				total += c
			}
		}
		sort.Slice(f, func(i, j int) bool {
			if f[i].count != f[j].count {
				return f[i].count > f[j].count
			}
			return f[i].key < f[j].key
		})
		for _, e := range f {
			fmt.Fprintf(out, "%s %.3f\n", letters(e.key, k), 100*float64(e.count)/float64(total))
		}
		out.WriteByte('\n')
	}
	for _, q := range []string{"GGT", "GGTA", "GGTATT", "GGTATTTTAATT", "GGTATTTTAATTTATAGT"} {
		var key uint64
		for _, c := range []byte(q) {
			key = key<<2 | uint64(bytes.IndexByte([]byte("ACGT"), c))
		}
		var c uint64
		switch {
		case len(q) <= small:
			c = counts[len(q)][key]
		case len(q) == 12:
			c = big12.get(key)
		default:
			c = big18.get(key)
		}
		fmt.Fprintf(out, "%d\t%s\n", c, q)
	}
}
