/* hotpath:abi
 * The wall clock, for copies on several machines that must start together (hotpath load
 * --start-at; doc/scale-out.md): its time, and a wait until a time on it. Machines agree on it
 * only as far as their clocks are synchronized (chrony, PTP).
 */
#ifndef HP_COMMON_WALLCLOCK_H
#define HP_COMMON_WALLCLOCK_H
#pragma GCC visibility push(default)

enum {
    HP_WALLCLOCK_MAX_WAIT = 86400 /* seconds a wait may lie ahead (a day: more is a typo) */
};

/* The wall clock (CLOCK_REALTIME) in seconds since the epoch. */
double hp_wallclock_now(void);

/* Blocks the calling thread until the wall clock reads epoch (seconds since the epoch), on the
 * wall clock itself (a step of the clock during the wait moves the wake-up with it). A time
 * already past returns at once. HP_EINVAL, without waiting, when epoch is not finite or lies
 * more than HP_WALLCLOCK_MAX_WAIT seconds ahead. Signals do not cut the wait short. */
int hp_wallclock_sleep_until(double epoch, char **errmsg);

#pragma GCC visibility pop
#endif
