/* Process measurement: exit codes, signals, stdin/stdout, digests, time limits, missing
 * programs, environment, report pipe, peak memory that is the program's own. Background processes: start, stop (SIGTERM, then
 * SIGKILL), the wait status it returns, pids that are not ours, missing programs. */
#include "common/common.h"
#include "common/digest.h"
#include "proc/proc.h"
#include "proc/memory.h"
#include "proc/spawn.h"
#include "tap.h"

#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int run(const char *const *argv, hp_proc_spec *spec, hp_proc_result *r, char **err)
{
    spec->argv = argv;
    return hp_proc_run(spec, r, err);
}

/* 1 once /proc/PID/comm reads `name` (polled for at most 5 s), else 0. */
static int became(int pid, const char *name)
{
    char path[64], comm[64];
    snprintf(path, sizeof path, "/proc/%d/comm", pid);
    for (int i = 0; i < 500; i++) {
        FILE *f = fopen(path, "r");
        if (f) {
            int ok = fgets(comm, sizeof comm, f) && strncmp(comm, name, strlen(name)) == 0 &&
                     comm[strlen(name)] == '\n';
            fclose(f);
            if (ok)
                return 1;
        }
        struct timespec ts = { 0, 10000000 };
        nanosleep(&ts, NULL);
    }
    return 0;
}

/* 1 once pid is gone or a zombie (polled for at most 5 s), else 0. */
static int became_gone(int pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    for (int i = 0; i < 500; i++) {
        FILE *f = fopen(path, "r");
        if (!f)
            return 1;
        int zombie = fgets(line, sizeof line, f) && strstr(line, ") Z ") != NULL;
        fclose(f);
        if (zombie)
            return 1;
        struct timespec ts = { 0, 10000000 };
        nanosleep(&ts, NULL);
    }
    return 0;
}

/* hp_proc_start / hp_proc_stop. Every child started here is reaped before this returns. */
static void background(char **err)
{
    {
        const char *argv[] = { "sleep", "30", NULL };
        int pid = 0;
        CHECK(hp_proc_start(argv, 0, &pid, err) == HP_OK && pid > 0, "background sleep starts");
        CHECK(getpgid(pid) == pid, "in its own process group");
        int st = hp_proc_stop(pid, 5);
        CHECK(st != -1 && WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM, "stop: killed by SIGTERM");
        CHECK(hp_proc_stop(pid, 1) == -1, "stopping it again: -1 (already reaped)");
    }
    {
        /* sleep inherits SIGTERM ignored (exec keeps SIG_IGN): stop must escalate to SIGKILL */
        const char *argv[] = { "sh", "-c", "trap '' TERM; exec sleep 30", NULL };
        int pid = 0;
        CHECK(hp_proc_start(argv, 0, &pid, err) == HP_OK, "SIGTERM-proof child starts");
        CHECK(became(pid, "sleep"), "it has trapped SIGTERM and exec'd sleep");
        int st = hp_proc_stop(pid, 0.2);
        CHECK(st != -1 && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "stop: SIGKILL after the timeout");
    }
    {
        /* A child that already exited: stop reaps it and returns its exit status. Wait for the
         * exit without reaping (WNOWAIT) so no signal can race with it. */
        const char *argv[] = { "sh", "-c", "exit 3", NULL };
        int pid = 0;
        CHECK(hp_proc_start(argv, 0, &pid, err) == HP_OK, "exiting child starts");
        siginfo_t si;
        waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT);
        int st = hp_proc_stop(pid, 1);
        CHECK(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 3, "stop of an exited child: its exit status");
    }
    CHECK(hp_proc_stop(1, 0.1) == -1, "stop of a pid that is not our child (init): -1");
    CHECK(hp_proc_stop(getpid(), 0.1) == -1, "stop of ourselves: -1");
    CHECK(hp_proc_stop(0, 0.1) == -1 && hp_proc_stop(-5, 0.1) == -1, "stop of pid <= 0: -1");
    {
        const char *argv[] = { "/nonexistent/prog", NULL };
        int pid = 0;
        CHECK(hp_proc_start(argv, 0, &pid, err) == HP_ESYS && pid == -1, "missing program is HP_ESYS, pid -1");
        CHECK_STR(*err, "cannot run '/nonexistent/prog': No such file or directory", "missing program message");
        hp_free(*err);
        *err = NULL;
        CHECK(waitpid(-1, NULL, WNOHANG) == -1, "no child left behind");
    }
    {
        const char *argv[] = { NULL };
        int pid = 0;
        CHECK(hp_proc_start(argv, 0, &pid, err) == HP_EINVAL, "empty argv is HP_EINVAL");
        CHECK_STR(*err, "empty argv", "empty argv message");
        hp_free(*err);
        *err = NULL;
    }
}

/* `test_proc touch MB`: touches MB MiB, prints its own peak (VmHWM, KiB) and leaves at once
 * (_exit: no leak check or cleanup after the print may raise the peak). */
static int touch_main(const char *mb)
{
    size_t n = (size_t)strtoul(mb, NULL, 10) << 20;
    char *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        _exit(2);
    for (size_t i = 0; i < n; i += 4096)
        p[i] = 1;
    printf("%lld\n", (long long)hp_proc_rss_kb(0, 1));
    fflush(stdout);
    _exit(0);
}

/* The peak a measured program reports is its own VmHWM (within 3 % or 300 kB), though this
 * process held 300 MB before: spawned directly, every program inherited that as its floor. */
static void peaks(char **err)
{
    size_t big = 300u << 20;
    char *p = mmap(NULL, big, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(p != MAP_FAILED, "300 MB mapped");
    if (p == MAP_FAILED)
        return;
    for (size_t i = 0; i < big; i += 4096)
        p[i] = 1;
    munmap(p, big);
    CHECK(hp_proc_rss_kb(0, 1) >= 300 * 1024, "this process's own peak is above 300 MB");
    char exe[PATH_MAX];
    ssize_t k = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[k > 0 ? k : 0] = 0;
    static const char *const loop =
        "while read -r k v rest; do case $k in VmHWM:) echo \"$v\";; esac; done < /proc/self/status";
    struct {
        const char *name;
        const char *argv[4];
        long long min_kb;
    } cases[] = {
        { "small (sh reading its status)", { "sh", "-c", loop, NULL }, 300 },
        { "medium (50 MB)", { exe, "touch", "50", NULL }, 50 * 1024 },
        { "large (500 MB)", { exe, "touch", "500", NULL }, 500 * 1024 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        hp_proc_result r;
        hp_proc_spec s = { .keep_stdout = 64, .timeout = 60 };
        char what[160];
        int rc = run(cases[i].argv, &s, &r, err);
        snprintf(what, sizeof what, "%s runs", cases[i].name);
        CHECK(rc == HP_OK && r.exited && r.exit_code == 0 && r.stdout_len > 0, what);
        long long own = r.stdout_data ? strtoll(r.stdout_data, NULL, 10) : 0;
        long long tol = own * 3 / 100 > 300 ? own * 3 / 100 : 300;
        snprintf(what, sizeof what, "%s: it touched what it should", cases[i].name);
        CHECK(own >= cases[i].min_kb, what);
        snprintf(what, sizeof what, "%s: peak within 3 %% or 300 kB of its own VmHWM", cases[i].name);
        CHECK(llabs((long long)r.maxrss_kb - own) <= tol, what);
        printf("# %s: own VmHWM %lld kB, reported %lld kB\n", cases[i].name, own, (long long)r.maxrss_kb);
        hp_proc_result_free(&r);
    }
}

/* The launcher (proc/launch.h): found through $HOTPATH_LAUNCHER too; refuses to run by hand
 * without its arguments; a launcher killed by its program is an error, and the program dies. */
static void launcher(char **err)
{
    char exe[PATH_MAX], path[PATH_MAX + 32];
    ssize_t k = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[k > 0 ? k : 0] = 0;
    char *slash = strrchr(exe, '/');
    if (slash)
        *slash = 0;
    snprintf(path, sizeof path, "%s/../hotpath-launch", exe);
    hp_proc_result r;
    {
        const char *argv[] = { path, NULL };
        hp_proc_spec s = { .keep_stderr = 1000 };
        CHECK(run(argv, &s, &r, err) == HP_OK && r.exited && r.exit_code == 2, "the launcher by hand: exit 2");
        CHECK(r.stderr_len > 7 && memcmp(r.stderr_data, "usage: ", 7) == 0, "and its usage on stderr");
        hp_proc_result_free(&r);
    }
    {
        setenv("HOTPATH_LAUNCHER", path, 1);
        const char *argv[] = { "printf", "via env", NULL };
        hp_proc_spec s = { .keep_stdout = 100 };
        CHECK(run(argv, &s, &r, err) == HP_OK && r.stdout_len == 7 && memcmp(r.stdout_data, "via env", 7) == 0,
              "HOTPATH_LAUNCHER names the launcher");
        hp_proc_result_free(&r);
        setenv("HOTPATH_LAUNCHER", "/nonexistent/launch", 1);
        CHECK(run(argv, &s, &r, err) == HP_ESYS, "HOTPATH_LAUNCHER naming nothing: HP_ESYS");
        CHECK_STR(*err, "HOTPATH_LAUNCHER=/nonexistent/launch is not an executable file", "and its message");
        hp_free(*err);
        *err = NULL;
        hp_proc_result_free(&r);
        unsetenv("HOTPATH_LAUNCHER");
    }
    {
        /* the program kills the launcher (its parent), then would sleep 30 s holding stdout */
        const char *argv[] = { "sh", "-c", "kill -KILL $PPID; exec sleep 30", NULL };
        hp_proc_spec s = { .timeout = 60 };
        double t0 = hp_clock_monotonic();
        CHECK(run(argv, &s, &r, err) == HP_EFAILED, "launcher killed: HP_EFAILED");
        CHECK_STR(*err, "hotpath-launch was killed by signal 9 while 'sh' ran", "and its message");
        CHECK(hp_clock_monotonic() - t0 < 20, "without waiting for the orphaned program");
        CHECK(r.pid > 0 && became_gone(r.pid), "whose process group was killed");
        hp_free(*err);
        *err = NULL;
        hp_proc_result_free(&r);
    }
}

/* The one reader of process memory (proc/memory.h): its sample agrees with rss_kb, the peak
 * reset brings the peak down to the current RSS, a missing process is an error. */
static void memory(char **err)
{
    hp_mem_sample m;
    size_t big = 64u << 20;
    char *volatile p = malloc(big);
    memset(p, 1, big);   /* a peak at least 64 MB above what stays */
    free(p);
    CHECK(hp_mem_read(0, &m, err) == HP_OK && m.rss_kb > 0 && m.hwm_kb >= m.rss_kb && m.pss_kb > 0 &&
              m.pss_kb <= m.rss_kb && m.time > 1e9,
          "hp_mem_read(0): RSS, peak, PSS and the time");
    int64_t hwm = hp_proc_rss_kb(0, 1);
    CHECK(hwm >= m.hwm_kb && hwm - m.hwm_kb < 1024, "hp_proc_rss_kb's peak is hp_mem_read's");
    CHECK(hwm > hp_proc_rss_kb(0, 0) + 60 * 1024, "the freed 64 MB stay in the peak");
    CHECK(hp_mem_reset_peak(0, err) == HP_OK, "hp_mem_reset_peak(0)");
    CHECK(hp_proc_rss_kb(0, 1) < hwm - 60 * 1024, "after the reset the peak is the current RSS again");
    CHECK(hp_mem_read(999999999, &m, err) == HP_ESYS && m.pss_kb == -1, "hp_mem_read of a missing pid: HP_ESYS");
    CHECK_STR(*err, "read /proc/999999999/status: No such file or directory", "... naming the file");
    hp_free(*err);
    *err = NULL;
}

int main(int argc, char **args)
{
    if (argc == 3 && strcmp(args[1], "touch") == 0)
        return touch_main(args[2]);
    hp_proc_result r;
    char *err = NULL;

    {
        const char *argv[] = { "sh", "-c", "printf hello; printf oops >&2; exit 3", NULL };
        hp_proc_spec s = { .digest_kind = HP_DIGEST_MD5, .keep_stdout = 100, .keep_stderr = 100 };
        CHECK(run(argv, &s, &r, &err) == HP_OK, "sh runs");
        CHECK(r.exited && r.exit_code == 3 && r.signal == 0 && !r.timed_out, "exit code 3");
        CHECK(r.stdout_len == 5 && memcmp(r.stdout_data, "hello", 5) == 0, "stdout kept");
        CHECK(r.stderr_len == 4 && memcmp(r.stderr_data, "oops", 4) == 0, "stderr kept");
        CHECK(r.stdout_bytes == 5, "stdout counted");
        CHECK_STR(r.digest, "5d41402abc4b2a76b9719d911017c592", "md5 of stdout");
        CHECK(r.wall > 0 && r.maxrss_kb > 0, "wall and peak RSS measured");
        hp_proc_result_free(&r);
    }
    {
        /* 4 MiB through stdin and back: the loop must pump both ways without deadlock. */
        size_t n = 4u << 20;
        char *in = malloc(n);
        for (size_t i = 0; i < n; i++)
            in[i] = (char)(i * 7);
        char want[65];
        hp_digest_hex(HP_DIGEST_SHA256, in, n, want);
        const char *argv[] = { "cat", NULL };
        hp_proc_spec s = { .stdin_data = in, .stdin_len = n, .digest_kind = HP_DIGEST_SHA256, .keep_stdout = 10 };
        CHECK(run(argv, &s, &r, &err) == HP_OK, "cat runs");
        CHECK(r.stdout_bytes == n, "cat echoes 4 MiB");
        CHECK_STR(r.digest, want, "digest of the echoed bytes");
        CHECK(r.stdout_len == 10, "keep_stdout keeps only the head");
        hp_proc_result_free(&r);
        free(in);
    }
    {
        /* A child that exits without reading its stdin must not kill us with SIGPIPE. */
        size_t n = 1u << 20;
        char *in = calloc(1, n);
        const char *argv[] = { "true", NULL };
        hp_proc_spec s = { .stdin_data = in, .stdin_len = n };
        CHECK(run(argv, &s, &r, &err) == HP_OK && r.exited && r.exit_code == 0, "unread stdin is fine");
        hp_proc_result_free(&r);
        free(in);
    }
    {
        const char *argv[] = { "sleep", "10", NULL };
        hp_proc_spec s = { .timeout = 0.2 };
        CHECK(run(argv, &s, &r, &err) == HP_OK, "sleep runs");
        CHECK(r.timed_out && r.signal == SIGKILL && !r.exited, "timeout kills with SIGKILL");
        CHECK(r.wall >= 0.2 && r.wall < 5, "killed near the limit");
        hp_proc_result_free(&r);
    }
    {
        /* The whole process group dies: a grandchild holding stdout cannot keep us waiting. */
        const char *argv[] = { "sh", "-c", "sleep 10 & sleep 10", NULL };
        hp_proc_spec s = { .timeout = 0.2 };
        CHECK(run(argv, &s, &r, &err) == HP_OK && r.timed_out && r.wall < 5, "grandchildren killed too");
        hp_proc_result_free(&r);
    }
    {
        const char *argv[] = { "sh", "-c", "kill -TERM $$", NULL };
        hp_proc_spec s = { 0 };
        CHECK(run(argv, &s, &r, &err) == HP_OK && r.signal == SIGTERM && !r.exited, "death by signal");
        hp_proc_result_free(&r);
    }
    {
        const char *argv[] = { "/nonexistent/prog", NULL };
        hp_proc_spec s = { 0 };
        int rc = run(argv, &s, &r, &err);
        CHECK(rc == HP_ESYS, "missing program is HP_ESYS");
        CHECK_STR(err, "cannot run '/nonexistent/prog': No such file or directory", "missing program message");
        hp_free(err);
        err = NULL;
        hp_proc_result_free(&r);
    }
    {
        const char *argv[] = { NULL };
        hp_proc_spec s = { 0 };
        CHECK(run(argv, &s, &r, &err) == HP_EINVAL, "empty argv is HP_EINVAL");
        CHECK_STR(err, "argv must name a program", "empty argv message");
        hp_free(err);
        err = NULL;
    }
    {
        const char *env[] = { "HP_TEST_X=42", "HOME=/elsewhere", NULL };
        const char *argv[] = { "sh", "-c", "printf '%s %s' \"$HP_TEST_X\" \"$HOME\"; printf rep >&3", NULL };
        hp_proc_spec s = { .env = env, .keep_stdout = 100, .report_fd = 3, .cwd = "/" };
        CHECK(run(argv, &s, &r, &err) == HP_OK, "env and report run");
        CHECK(r.stdout_len == 13 && memcmp(r.stdout_data, "42 /elsewhere", 13) == 0, "env added and replaced");
        CHECK(r.report_len == 3 && memcmp(r.report_data, "rep", 3) == 0, "report pipe at fd 3");
        hp_proc_result_free(&r);
    }
    {
        const char *argv[] = { "true", NULL };
        hp_proc_spec s = { .report_fd = 1 };
        CHECK(run(argv, &s, &r, &err) == HP_EINVAL, "report_fd 1 refused");
        hp_free(err);
        err = NULL;
    }
    background(&err);
    launcher(&err);
    peaks(&err);
    CHECK(hp_proc_rss_kb(0, 0) > 0 && hp_proc_rss_kb(0, 1) > 0, "own RSS and peak readable");
    CHECK(hp_proc_rss_kb(999999999, 0) == -1, "RSS of a missing pid is -1");
    memory(&err);
    return tap_done();
}
