/* hotpath: the C ABI of libhotpath.so, for C programs and for LuaJIT's FFI.
 *
 * Conventions (doc/architecture.md): every public symbol has the hp_ prefix; functions that can fail
 * return an enum hp_status and, when errmsg is not NULL, a malloc'd message in *errmsg that
 * the caller frees with hp_free. Handles own their state; there are no globals.
 *
 * Each module declares its part in its own header, marked "hotpath:abi"; the LuaJIT binding's
 * cdefs are generated from those headers (tools/gen_cdef.sh), so they cannot drift.
 */
#ifndef HOTPATH_H
#define HOTPATH_H
#include "common/common.h"
#include "common/digest.h"
#include "common/wallclock.h"
#include "proc/proc.h"
#include "proc/memory.h"
#include "proc/spawn.h"
#include "kernels/mandelbrot.h"
#include "json/json.h"
#include "http/http.h"
#include "pool/pool.h"
#include "kernels/binarytrees.h"
#include "kernels/fannkuch_redux.h"
#include "kernels/fasta.h"
#include "kernels/knucleotide.h"
#include "kernels/reverse_complement.h"
#include "kernels/nbody.h"
#include "kernels/spectral_norm.h"
#include "kernels/pidigits.h"
#include "pool/tasks.h"
#include "workloads/workloads.h"
#endif
