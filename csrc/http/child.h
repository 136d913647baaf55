/* hotpath:abi
 * Server processes for tests and scenarios: fork the reference server into the background,
 * wait until a port accepts connections, find a free port. Any other command is started with
 * hp_proc_start and every background child is stopped with hp_proc_stop (proc/spawn.h).
 * Everything here talks to this machine only.
 */
#ifndef HP_HTTP_CHILD_H
#define HP_HTTP_CHILD_H
#pragma GCC visibility push(default)

/* Forks a child (through hp_proc_fork: own process group, SIGTERM when this process dies, its
 * stdout/stderr kept) that runs hp_server_run(test, port, threads, duration) on 127.0.0.1, and
 * blocks until it listens (or failed: its message comes back, HP_ESYS, and it is reaped).
 * On success *pid is the child, which the caller owns: end it with hp_proc_stop. The child
 * ends by itself after duration seconds, or with this process. */
int hp_child_serve(int test, int port, int threads, double duration, int *pid, char **errmsg);

/* The same with every field of a server spec (http/server.h; its ready_fd is ignored). */
struct hp_server_spec;
int hp_child_serve_spec(const struct hp_server_spec *spec, int *pid, char **errmsg);

/* Waits until 127.0.0.1:port accepts a TCP connection (tries every 10 ms), at most timeout
 * seconds; HP_ETIMEDOUT otherwise; HP_EFAILED if pid (when > 0) exited meanwhile. */
int hp_child_wait_port(int pid, int port, double timeout, char **errmsg);

/* A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0, then released), or -1. */
int hp_free_port(void);

#pragma GCC visibility pop
#endif
