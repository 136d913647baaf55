/* Process measurement: exit codes, signals, stdin/stdout, digests, time limits, missing
 * programs, environment, report pipe. */
#include "common/common.h"
#include "common/digest.h"
#include "proc/proc.h"
#include "tap.h"

#include <signal.h>
#include <stdlib.h>

static int run(const char *const *argv, hp_proc_spec *spec, hp_proc_result *r, char **err)
{
    spec->argv = argv;
    return hp_proc_run(spec, r, err);
}

int main(void)
{
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
    CHECK(hp_proc_rss_kb(0, 0) > 0 && hp_proc_rss_kb(0, 1) > 0, "own RSS and peak readable");
    CHECK(hp_proc_rss_kb(999999999, 0) == -1, "RSS of a missing pid is -1");
    return tap_done();
}
