/* hotpath:abi
 * reverse-complement (Benchmarks Game): each fasta sequence reverse-complemented.
 */
#ifndef HP_REVERSE_COMPLEMENT_H
#define HP_REVERSE_COMPLEMENT_H
#include <stddef.h>
#pragma GCC visibility push(default)

/* Reads fasta text (len bytes) and returns, for every record, its header line and the reverse
 * complement of its sequence (IUPAC codes, either case in, upper case out) in lines of 60,
 * in *out (malloc'd; free with hp_free). Text before the first '>' is ignored. threads <= 0:
 * all CPUs. Never raises. */
int hp_reverse_complement(const char *fasta, size_t len, int threads, char **out, size_t *out_len,
                          char **errmsg);

#pragma GCC visibility pop
#endif
