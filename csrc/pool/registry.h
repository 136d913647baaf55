/* Internal to pool/: the kinds registered on a pool (registry.c) as tasks.c looks them up.
 * Registration itself (hp_pool_register_kind) is public, in tasks.h. */
#ifndef HP_POOL_REGISTRY_H
#define HP_POOL_REGISTRY_H
#include "pool/tasks.h"

/* 1 and the kind's function, context and result type if name is registered on the pool. */
int hp_pool_find_kind(hp_pool *pool, const char *name, hp_kind_fn *fn, void **kctx, int *type);

#endif
