/* Kinds registered on a pool by name (hp_pool_register_kind), looked up by tasks.c before the
 * built-in kinds of kinds.c. The table lives in the pool handle, under its mutex. */
#include "pool/registry.h"
#include "pool/pool_impl.h"
#include "common/common.h"
#include "common/error.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

int hp_pool_register_kind(hp_pool *pool, const char *name, hp_kind_fn fn, void *kctx,
                          int result_type, char **errmsg)
{
    if (!name || !*name || strlen(name) >= sizeof pool->kinds[0].name)
        return hp_err(errmsg, HP_EINVAL, "pool: kind name must be 1 to 63 bytes");
    if (!fn || (result_type != HP_VAL_INT && result_type != HP_VAL_FLOAT))
        return hp_err(errmsg, HP_EINVAL, "pool: kind '%s' needs a function and a result type", name);
    pthread_mutex_lock(&pool->mu);
    int i = 0;
    while (i < pool->nkinds && strcmp(pool->kinds[i].name, name) != 0)
        i++;
    if (i == pool->nkinds) {
        struct hp_pool_kind *k = realloc(pool->kinds, (size_t)(i + 1) * sizeof *k);
        if (!k) {
            pthread_mutex_unlock(&pool->mu);
            return hp_err(errmsg, HP_ENOMEM, "pool: out of memory");
        }
        pool->kinds = k;
        pool->nkinds++;
        strcpy(k[i].name, name);
    }
    pool->kinds[i].fn = fn;
    pool->kinds[i].kctx = kctx;
    pool->kinds[i].type = result_type;
    pthread_mutex_unlock(&pool->mu);
    return HP_OK;
}

int hp_pool_find_kind(hp_pool *pool, const char *name, hp_kind_fn *fn, void **kctx, int *type)
{
    int found = 0;
    pthread_mutex_lock(&pool->mu);
    for (int i = 0; i < pool->nkinds && !found; i++)
        if (strcmp(pool->kinds[i].name, name) == 0) {
            *fn = pool->kinds[i].fn;
            *kctx = pool->kinds[i].kctx;
            *type = pool->kinds[i].type;
            found = 1;
        }
    pthread_mutex_unlock(&pool->mu);
    return found;
}
