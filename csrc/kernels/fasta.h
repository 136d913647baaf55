/* hotpath:abi
 * fasta (Benchmarks Game): the deterministic DNA generator whose output feeds k-nucleotide
 * and reverse-complement.
 */
#ifndef HP_FASTA_H
#define HP_FASTA_H
#include <stddef.h>
#include "common/common.h"
#pragma GCC visibility push(default)

enum { HP_FASTA_MAX_N = 25000000 };

/* Returns the fasta N output (2N ALU repeats, 3N IUB and 5N Homo sapiens weighted random
 * nucleotides, lines of 60) in *out (malloc'd; free with hp_free). The generator is one
 * sequential LCG, so threads is accepted for symmetry and the output never depends on it.
 * HP_ELIMIT when n is outside 0..HP_FASTA_MAX_N. Never raises. */
int hp_fasta(int n, int threads, char **out, size_t *out_len, char **errmsg);

/* The same output handed to write in pieces of at most HP_FASTA_CHUNK bytes as it is made, so
 * that a consumer (a pipe's reader) works while the rest is generated; the kernel's memory is
 * one chunk. HP_ELIMIT as hp_fasta; HP_ESYS "fasta: the output could not be written" when
 * write returns nonzero (nothing more is generated). Never raises. */
enum { HP_FASTA_CHUNK = 65536 };
int hp_fasta_write(int n, int threads, hp_write_fn write, void *ctx, char **errmsg);

#pragma GCC visibility pop
#endif
