/* SPDX-License-Identifier: MIT */
#include "audit.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/log.h"
#include "base/macro.h"
#include "base/redact.h"
#include "base/utf8.h"

/* Every string of a record is bounded: the tool name and the session key come from the
 * caller, and one call must not be able to write a megabyte line. */
static void bound_strings(json_t *v)
{
        const char *key;
        json_t *member;
        json_object_foreach (v, key, member) {
                size_t n = json_string_length(member);
                if (!json_is_string(member) || n <= PC_AUDIT_MAX_STRING)
                        continue;
                _cleanup_free_ char *cut =
                        pc_utf8_sanitize(json_string_value(member), PC_AUDIT_MAX_STRING);
                _cleanup_free_ char *text = xasprintf("%s... (%zu bytes)", cut, n);
                json_object_set_new(v, key, json_string(text));
        }
}

/* The process's audit file: one descriptor kept open, every append under the lock (so
 * rotation and the line's write are one step for concurrent tool workers). */
static struct {
        pthread_mutex_t lock;
        pthread_cond_t cond;
        int fd; /* -1 when none is open */
        char *path;
        dev_t dev;
        ino_t ino;
        /* group commit (audit.h) */
        bool group;
        bool stop;
        pthread_t flusher;
        uint64_t written, synced; /* lines written, lines known to be on disk */
} A = {
        .lock = PTHREAD_MUTEX_INITIALIZER,
        .cond = PTHREAD_COND_INITIALIZER,
        .fd = -1,
};

static void rotate(const char *dir)
{
        for (int i = PC_AUDIT_KEEP - 1; i >= 1; i--) {
                _cleanup_free_ char *from = xasprintf("%s/audit.jsonl.%d", dir, i);
                _cleanup_free_ char *to = xasprintf("%s/audit.jsonl.%d", dir, i + 1);
                (void) rename(from, to);
        }
        _cleanup_free_ char *cur = xasprintf("%s/audit.jsonl", dir);
        _cleanup_free_ char *first = xasprintf("%s/audit.jsonl.1", dir);
        (void) rename(cur, first);
}

/* Under the lock: closes the open file, making what was written to it durable first. */
static void close_current(void)
{
        if (A.fd < 0)
                return;
        if (A.synced != A.written) {
                if (fdatasync(A.fd) < 0)
                        log_warning("Failed to sync the audit log '%s': %m", A.path);
                A.synced = A.written;
        }
        close(A.fd);
        A.fd = -1;
        free(A.path);
        A.path = NULL;
}

static void *flusher_main(void *arg)
{
        (void) arg;
        pthread_mutex_lock(&A.lock);
        for (;;) {
                while (!A.stop && A.synced == A.written)
                        pthread_cond_wait(&A.cond, &A.lock);
                if (A.synced == A.written)
                        break; /* stopping, nothing left */
                uint64_t target = A.written;
                int fd = A.fd >= 0 ? fcntl(A.fd, F_DUPFD_CLOEXEC, 3) : -1;
                _cleanup_free_ char *path = A.path ? xstrdup(A.path) : NULL;
                pthread_mutex_unlock(&A.lock);
                /* Lines written while this runs are in the next round: each line is on disk
                 * at most about two syncs after its write. */
                if (fd >= 0 && fdatasync(fd) < 0)
                        log_warning("Failed to sync the audit log '%s': %m", path);
                if (fd >= 0)
                        close(fd);
                pthread_mutex_lock(&A.lock);
                if (A.synced < target)
                        A.synced = target;
        }
        pthread_mutex_unlock(&A.lock);
        return NULL;
}

void pc_audit_group_commit_start(void)
{
        pthread_mutex_lock(&A.lock);
        if (!A.group) {
                A.stop = false;
                A.group = pthread_create(&A.flusher, NULL, flusher_main, NULL) == 0;
        }
        pthread_mutex_unlock(&A.lock);
}

void pc_audit_group_commit_stop(void)
{
        pthread_mutex_lock(&A.lock);
        bool running = A.group;
        A.stop = true;
        pthread_cond_signal(&A.cond);
        pthread_mutex_unlock(&A.lock);
        if (running)
                (void) pthread_join(A.flusher, NULL);
        pthread_mutex_lock(&A.lock);
        A.group = false;
        close_current();
        pthread_mutex_unlock(&A.lock);
}

static char *format_line(json_t *record, size_t *ret_len)
{
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        struct tm tm;
        gmtime_r(&ts.tv_sec, &tm);
        char when[64];
        snprintf(when, sizeof(when), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900,
                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000);
        json_t *line = json_pack("{s:s}", "ts", when);
        json_object_update(line, record);
        /* records carry no argument values; should a caller ever add one under a
         * secret-looking name, it is redacted here rather than written */
        pc_redact_json(line);
        bound_strings(line);
        char *text = json_dumps(line, JSON_COMPACT | JSON_PRESERVE_ORDER);
        json_decref(line);
        if (!text)
                return NULL;
        size_t len = strlen(text);
        text[len] = '\n'; /* json_dumps gave len+1 bytes: the NUL becomes the newline */
        *ret_len = len + 1;
        return text;
}

/* Under the lock. */
static int append_locked(const char *dir, const char *path, const char *text, size_t len,
                         PcError *reterr)
{
        struct stat st;
        bool exists = stat(path, &st) == 0;
        if (A.fd >= 0 &&
            (!streq(A.path, path) || !exists || st.st_dev != A.dev || st.st_ino != A.ino))
                close_current(); /* another state dir, or the file was moved away */
        if (exists && (size_t) st.st_size >= PC_AUDIT_ROTATE_BYTES) {
                close_current();
                rotate(dir);
        }
        if (A.fd < 0) {
                int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
                if (fd < 0)
                        return pc_error_set(reterr, -errno, "cannot open the audit log '%s': %s",
                                            path, strerror(errno));
                struct stat fst;
                if (fstat(fd, &fst) < 0) {
                        int r = -errno;
                        close(fd);
                        return pc_error_set(reterr, r, "cannot stat the audit log '%s': %s", path,
                                            strerror(-r));
                }
                A.fd = fd;
                A.path = xstrdup(path);
                A.dev = fst.st_dev;
                A.ino = fst.st_ino;
        }
        ssize_t n = write(A.fd, text, len);
        if (n != (ssize_t) len)
                return pc_error_set(reterr, n < 0 ? -errno : -EIO,
                                    "cannot write the audit log '%s': %s", path,
                                    n < 0 ? strerror(errno) : "short write");
        A.written++;
        if (A.group) {
                pthread_cond_signal(&A.cond);
                return 0;
        }
        if (fsync(A.fd) < 0)
                return pc_error_set(reterr, -errno, "cannot sync the audit log '%s': %s", path,
                                    strerror(errno));
        A.synced = A.written;
        return 0;
}

int pc_audit_append(const char *state_dir, json_t *record, PcError *reterr)
{
        _cleanup_free_ char *dir = xasprintf("%s/audit", state_dir);
        if (mkdir(dir, 0700) < 0 && errno != EEXIST)
                return pc_error_set(reterr, -errno, "cannot create the audit directory '%s': %s",
                                    dir, strerror(errno));
        _cleanup_free_ char *path = xasprintf("%s/audit.jsonl", dir);
        size_t len = 0;
        _cleanup_free_ char *text = format_line(record, &len);
        if (!text)
                return pc_error_set(reterr, -EINVAL, "audit record is not valid JSON text");
        pthread_mutex_lock(&A.lock);
        int r = append_locked(dir, path, text, len, reterr);
        pthread_mutex_unlock(&A.lock);
        return r;
}
