/* Interruption of running Lua-function tasks by a real-time signal (linterrupt.c): how a cancel
 * reaches a Lua state that another thread is running. Part of the Lua runtime of worker threads
 * (csrc/luart/, compiled into hotpath.core once per Lua ABI); not ABI. */
#ifndef HP_LINTERRUPT_H
#define HP_LINTERRUPT_H
#include <lua.h>
#include <pthread.h>
#include "pool/pool.h"

/* Once per process (pthread_once; call before any worker runs a Lua chunk): picks the cancel
 * signal and installs its handler. Returns the signal number, 0 when interruption is off. */
int hp_linterrupt_init(void);

/* The cancel signal, 0 when interruption is off or hp_linterrupt_init did not run yet. */
int hp_linterrupt_signo(void);

/* Around a thread's task loop, on that thread: enter clears a hook an earlier cancel left on L
 * and makes L (run for job) reachable by the cancel signal; leave makes it unreachable. Never
 * raise, never block. */
void hp_linterrupt_enter(lua_State *L, hp_job *job);
void hp_linterrupt_leave(void);

/* Sends the cancel signal to thread t, which the caller knows to be alive (pthread_kill on an
 * exited thread is undefined); nothing when interruption is off. Async-signal-safe. */
void hp_linterrupt_send(pthread_t t);

#endif
