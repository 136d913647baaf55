/* hotpath:abi
 * k-nucleotide (Benchmarks Game): k-mer frequencies and counts of the ">THREE" sequence of a
 * fasta file.
 */
#ifndef HP_KNUCLEOTIDE_H
#define HP_KNUCLEOTIDE_H
#include <stddef.h>
#pragma GCC visibility push(default)

enum { HP_KNUCLEOTIDE_MAX_K = 18, HP_KNUCLEOTIDE_MAX_LETTERS = 134217727 };

/* Reads fasta text (len bytes, not NUL-terminated), takes the sequence after the header line
 * that starts with ">THREE", and returns the reference output (1- and 2-mer frequencies
 * sorted by count then letters, then the counts of GGT, GGTA, GGTATT, GGTATTTTAATT,
 * GGTATTTTAATTTATAGT) in *out (malloc'd; free with hp_free). threads <= 0: all CPUs.
 * HP_EPARSE when there is no ">THREE" header or the sequence holds a letter other than
 * ACGT (either case); HP_ELIMIT past HP_KNUCLEOTIDE_MAX_LETTERS letters (counts are 27-bit).
 * Never raises. */
int hp_knucleotide(const char *fasta, size_t len, int threads, char **out, size_t *out_len, char **errmsg);

#pragma GCC visibility pop
#endif
