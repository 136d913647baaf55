/* Interruption of running Lua-function tasks (see ltasks.c for the tasks themselves).
 *
 * Cancel: the job stops handing out chunks, and running tasks are interrupted by a hook that is
 * installed only then, by the thread that runs the state. Nobody may call lua_sethook on a state
 * another thread is running (in 5.4 it writes the hook fields and walks the CallInfo list the
 * owner is changing; in LuaJIT it rewrites the dispatch table). The one way Lua supports
 * setting a hook on a running state is from a signal handler on the thread running it (lua.c's
 * Ctrl-C: laction). So each thread records in thread-local storage the state it runs and the
 * job it runs it for (around its task loop), and each batch slot keeps the pthread_t of the
 * thread running it (under lbatch.mu); cancel marks the job stopped and sends a real-time
 * signal (SIGRTMIN+5; HOTPATH_CANCEL_SIGNAL picks another number, 0 disables interruption) to
 * those threads; the handler sets the hook on its thread's state, as laction does; the hook
 * raises "cancelled" only if that thread's current job is stopped (a late signal landing on a
 * thread that already runs another batch clears the hook and does nothing).
 *
 * The handler and its signal number are process-wide state, the one exception here to "no
 * mutable globals": a signal disposition belongs to the process, and a handler is the only
 * async-safe way Lua offers to reach a running state. It is installed once (pthread_once), only
 * if the signal still has its default disposition (another library's handler is left alone and
 * interruption is then off). */
#include "linterrupt.h"

#include <lauxlib.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

/* This thread's running state and the job it runs it for: set by the thread itself around its
 * task loop, read by the signal handler and the hook on the same thread. initial-exec: in a
 * dlopen'ed module the default TLS model may allocate on a thread's first access, which a
 * handler must not do (a stray signal can land on a thread that never ran a task); these few
 * bytes come from the static TLS surplus instead. */
#define TLS static __thread __attribute__((tls_model("initial-exec")))
TLS lua_State *volatile tls_state;
TLS hp_job *volatile tls_job;
TLS int tls_unblocked; /* this thread unblocked the cancel signal */

static pthread_once_t signal_once = PTHREAD_ONCE_INIT;
static int cancel_signo; /* written once under signal_once; 0: no interruption */

/* Set by the handler on this thread's state: raises "cancelled" while the thread's current job
 * is stopped, and stays set so that a pcall inside the task cannot swallow the cancel (the
 * thread clears it before it runs the next batch); otherwise (a late signal) removes itself. */
static void cancel_hook(lua_State *L, lua_Debug *ar)
{
    (void)ar;
    hp_job *job = tls_job;
    if (!job || !hp_job_stopped(job)) {
        lua_sethook(L, NULL, 0, 0);
        return;
    }
    luaL_error(L, "cancelled");
}

/* The cancel signal's handler: what lua.c's laction does, on the state this thread runs. */
static void cancel_signal(int sig)
{
    (void)sig;
    int saved = errno;
    lua_State *L = tls_state;
    if (L)
        lua_sethook(L, cancel_hook, LUA_MASKCALL | LUA_MASKRET | LUA_MASKCOUNT, 1);
    errno = saved;
}

/* Once per process: picks the signal (HOTPATH_CANCEL_SIGNAL: a number, 0 = none; default
 * SIGRTMIN+5) and installs the handler if the signal has its default disposition. */
static void install_signal(void)
{
    int signo = SIGRTMIN + 5;
    const char *env = getenv("HOTPATH_CANCEL_SIGNAL");
    if (env && *env) {
        char *end;
        long v = strtol(env, &end, 10);
        signo = (*end || v < 0 || v > SIGRTMAX) ? 0 : (int)v;
    }
    struct sigaction old;
    if (signo <= 0 || sigaction(signo, NULL, &old) != 0 ||
        (old.sa_flags & SA_SIGINFO) || old.sa_handler != SIG_DFL)
        return;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = cancel_signal;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    if (sigaction(signo, &sa, NULL) == 0)
        cancel_signo = signo;
}

int hp_linterrupt_init(void)
{
    pthread_once(&signal_once, install_signal);
    return cancel_signo;
}

int hp_linterrupt_signo(void) { return cancel_signo; }

/* Around a thread's task loop: a hook left by the cancel of an earlier batch goes; then the
 * cancel signal may reach this state. */
void hp_linterrupt_enter(lua_State *L, hp_job *job)
{
    lua_sethook(L, NULL, 0, 0);
    if (!tls_unblocked && cancel_signo) {
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, cancel_signo);
        pthread_sigmask(SIG_UNBLOCK, &set, NULL);
        tls_unblocked = 1;
    }
    tls_job = job;
    tls_state = L;
}

void hp_linterrupt_leave(void)
{
    tls_state = NULL;
    tls_job = NULL;
}

void hp_linterrupt_send(pthread_t t)
{
    if (cancel_signo)
        pthread_kill(t, cancel_signo);
}
