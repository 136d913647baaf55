/* Internal to the core (not ABI): the fork that every background child of hotpath goes
 * through, so that a command (proc/spawn.c) and a server forked from C (http/child.c) get the
 * same process group, parent-death signal, signal state and stdio. */
#ifndef HP_PROC_FORK_H
#define HP_PROC_FORK_H

/* Forks with a close-on-exec pipe between the two sides. In the child (*child == 0) it has
 * already moved to its own process group, asked for SIGTERM when the parent dies, cleared the
 * signal mask and reset SIGTERM/SIGINT/SIGPIPE to default, and put /dev/null on stdin (and on
 * stdout/stderr unless keep_output); *fd is the pipe's write end, and the child must end with
 * exec or _exit. In the parent *child is the pid and *fd the read end, which the caller
 * closes. Returns HP_ESYS with *errmsg when the pipe or the fork fails (nothing is left open).
 * Does not block. */
int hp_proc_fork(int keep_output, int *fd, int *child, char **errmsg);

#endif
