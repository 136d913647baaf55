/* Internal to the core (not ABI): the protocol between hp_proc_run (proc.c) and the launcher
 * program hotpath-launch (launcher.c, a small static executable of its own).
 *
 * Why a launcher: at exec the kernel records the peak RSS of the address space being replaced
 * into the new program's ru_maxrss. posix_spawn from hotpath replaces hotpath's own address
 * space (vfork semantics), and fork copies it, so a program spawned directly inherits the
 * measuring process's peak (or its current RSS) as a floor. The launcher is exec'd fresh, so
 * its address space is a few hundred kB; the program it forks and execs inherits only that.
 * doc/measurement.md has the figures.
 *
 * Invocation: hotpath-launch CTLFD TIMEOUT -- PROGRAM ARG...
 *   The caller has put the program's stdin/stdout/stderr on 0/1/2, its report pipe (if any)
 *   on its fd, the working directory and environment in place, and the write end of a pipe on
 *   CTLFD (3, or 4 when the report pipe is 3). TIMEOUT is seconds of wall time ("0": none).
 *   The launcher forks; the child moves to its own process group and execs PROGRAM (searched
 *   in PATH); the launcher keeps only CTLFD open, waits for the child (killing its process
 *   group with SIGKILL at the time limit, while the child is still unreaped so the group
 *   cannot be someone else's), reaps it with wait4 and exits 0.
 *
 * On CTLFD it writes up to three lines:
 *   HP_LAUNCH_STARTED  the program's pid, after the fork and before the program may run (the
 *                      child waits for it), so that the caller can kill the program's process
 *                      group whatever happens to the launcher next;
 *   then HP_LAUNCH_EXECED once the exec has succeeded, or HP_LAUNCH_FAILED with the errno of
 *                      a failed fork (as the first line) or exec (then it exits 127);
 *   then HP_LAUNCH_RESULT: wait status, timed out (0/1), user and system CPU in microseconds,
 *                      ru_maxrss in KiB, wall nanoseconds from fork to reap.
 * Each format is used both to print (launcher) and to parse (sscanf in proc.c). */
#ifndef HP_PROC_LAUNCH_H
#define HP_PROC_LAUNCH_H

#define HP_LAUNCH_NAME "hotpath-launch"
#define HP_LAUNCH_STARTED "P %d\n"
#define HP_LAUNCH_EXECED "X\n"
#define HP_LAUNCH_FAILED "E %d\n"
#define HP_LAUNCH_RESULT "R %d %d %lld %lld %lld %lld\n"

#endif
