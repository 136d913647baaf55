/* hotpath:abi
 * reverse-complement (Benchmarks Game): each fasta sequence reverse-complemented.
 */
#ifndef HP_REVERSE_COMPLEMENT_H
#define HP_REVERSE_COMPLEMENT_H
#include <stddef.h>
#include "common/common.h"
#pragma GCC visibility push(default)

/* Reads fasta text (len bytes) and returns, for every record, its header line and the reverse
 * complement of its sequence (IUPAC codes, either case in, upper case out) in lines of 60,
 * in *out (malloc'd; free with hp_free). Text before the first '>' is ignored. threads <= 0:
 * all CPUs. Never raises. */
int hp_reverse_complement(const char *fasta, size_t len, int threads, char **out, size_t *out_len,
                          char **errmsg);

/* The same output handed to write as it is made: each header, then blocks of at most
 * HP_REVCOMP_BLOCK lines (made in parallel), so that a consumer (a pipe's reader) works while
 * the next block is made; the kernel's memory is the work copy of one record's letters and one
 * block. HP_ESYS "reverse_complement: the output could not be written" when write returns
 * nonzero (nothing more is made). Never raises. */
enum { HP_REVCOMP_BLOCK = 16384 };
int hp_reverse_complement_write(const char *fasta, size_t len, int threads, hp_write_fn write, void *ctx,
                                char **errmsg);

#pragma GCC visibility pop
#endif
