/* hotpath:abi
 * Background processes: start a command that keeps running while the caller goes on (a
 * server, a load generator), and stop it again. hp_proc_run (proc.h) is the blocking,
 * measured counterpart.
 */
#ifndef HP_PROC_SPAWN_H
#define HP_PROC_SPAWN_H
#pragma GCC visibility push(default)

/* Starts argv (NULL-terminated; argv[0] searched in PATH, no shell) in the background, in its
 * own process group, with stdin from /dev/null and stdout/stderr to /dev/null unless
 * keep_output (then they are this process's); the child gets SIGTERM if this process dies.
 * Blocks only until the exec has happened or failed. On success *pid is the child, which the
 * caller owns: end it with hp_proc_stop. HP_EINVAL for an empty argv; HP_ESYS with a message
 * when it cannot be started (missing program: "cannot run 'x': No such file or directory"),
 * and then no process is left behind. */
int hp_proc_start(const char *const *argv, int keep_output, int *pid, char **errmsg);

/* Ends a background child (from hp_proc_start, or any child of ours that leads its process
 * group): SIGTERM to its group, waits up to timeout seconds, then SIGKILL; reaps it. Blocks
 * until reaped. Returns its status as wait() encodes it, or -1 if pid is not a child of this
 * process (never started, or already reaped). */
int hp_proc_stop(int pid, double timeout);

#pragma GCC visibility pop
#endif
