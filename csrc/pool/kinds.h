/* Internal to pool/: the built-in kinds (kinds.c) as tasks.c looks them up. */
#ifndef HP_POOL_KINDS_H
#define HP_POOL_KINDS_H
#include "pool/tasks.h"

/* 1 and the built-in kind (kinds.c) of that name. */
int hp_builtin_kind(const char *name, hp_kind_fn *fn, void **kctx, int *type);

#endif
