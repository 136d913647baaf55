/* hotpath:abi
 * Server processes for tests and scenarios: start a server (any command, or the reference
 * server forked from C) in the background, wait until its port accepts connections, stop it.
 * Everything here talks to this machine only.
 */
#ifndef HP_HTTP_CHILD_H
#define HP_HTTP_CHILD_H
#pragma GCC visibility push(default)

/* Starts argv (argv[0] searched in PATH, no shell) in its own process group, with stdin from
 * /dev/null and stdout/stderr to /dev/null unless keep_output; the child gets SIGTERM if
 * this process dies. *pid is set. */
int hp_child_spawn(const char *const *argv, int keep_output, int *pid, char **errmsg);

/* Forks a child that runs hp_server_run(test, port, threads, duration) on 127.0.0.1 and
 * returns once it listens (or failed: its message comes back). The child ends by itself after
 * duration seconds, or with this process. */
int hp_child_serve(int test, int port, int threads, double duration, int *pid, char **errmsg);

/* Waits until 127.0.0.1:port accepts a TCP connection (tries every 10 ms), at most timeout
 * seconds; HP_ETIMEDOUT otherwise; HP_EFAILED if pid (when > 0) exited meanwhile. */
int hp_child_wait_port(int pid, int port, double timeout, char **errmsg);

/* Sends SIGTERM to pid's process group, waits up to timeout seconds, then SIGKILL; reaps it.
 * Returns the exit status as wait() encodes it, or -1 if pid was not our child. */
int hp_child_stop(int pid, double timeout);

/* A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0, then released), or -1. */
int hp_free_port(void);

#pragma GCC visibility pop
#endif
