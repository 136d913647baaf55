// pidigits N: the first N digits of pi by the reference programs' spigot (Gibbons'
// unbounded algorithm) on math/big integers: next term extends the linear fractional
// transformation; a digit is safe when floor((3 num + acc) / den) == floor((4 num + acc) /
// den). Ten digits a line, then a tab, ":" and the count; the last line padded with spaces.
package main

import (
	"bufio"
	"fmt"
	"math/big"
	"os"
	"strconv"
)

// spigot holds the transformation's integers; spare takes products so that no
// multiplication writes into its own operand (math/big would allocate a fresh result).
type spigot struct {
	acc, den, num, spare   *big.Int
	tmp1, tmp2, rem, small big.Int
}

// mulSmall sets *z = *z * m through spare.
func (s *spigot) mulSmall(z **big.Int, m int64) {
	s.spare.Mul(*z, s.small.SetInt64(m))
	*z, s.spare = s.spare, *z
}

func (s *spigot) extract(nth int64) int64 {
	s.tmp1.Mul(s.num, s.small.SetInt64(nth))
	s.tmp2.Add(&s.tmp1, s.acc)
	s.tmp1.QuoRem(&s.tmp2, s.den, &s.rem)
	return s.tmp1.Int64()
}

func (s *spigot) eliminate(d int64) {
	s.tmp1.Mul(s.den, s.small.SetInt64(d))
	s.acc.Sub(s.acc, &s.tmp1)
	s.mulSmall(&s.acc, 10)
	s.mulSmall(&s.num, 10)
}

func (s *spigot) next(k int64) {
	k2 := 2*k + 1
	s.tmp1.Lsh(s.num, 1)
	s.acc.Add(s.acc, &s.tmp1)
	s.mulSmall(&s.acc, k2)
	s.mulSmall(&s.den, k2)
	s.mulSmall(&s.num, k)
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: pidigits N")
		os.Exit(2)
	}
	n, err := strconv.Atoi(os.Args[1])
	if err != nil || n < 0 {
		fmt.Fprintf(os.Stderr, "pidigits: N must be a non-negative integer, got %q\n", os.Args[1])
		os.Exit(2)
	}
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	s := spigot{acc: new(big.Int), den: big.NewInt(1), num: big.NewInt(1), spare: new(big.Int)}
	i := 0
	for k := int64(0); i < n; {
		k++
		s.next(k)
		if s.num.Cmp(s.acc) > 0 {
			continue
		}
		d := s.extract(3)
		if d != s.extract(4) {
			continue
		}
		out.WriteByte(byte('0' + d))
		i++
		if i%10 == 0 {
			fmt.Fprintf(out, "\t:%d\n", i)
		}
		s.eliminate(d)
	}
	if i%10 != 0 {
		for j := i % 10; j < 10; j++ {
			out.WriteByte(' ')
		}
		fmt.Fprintf(out, "\t:%d\n", i)
	}
}
