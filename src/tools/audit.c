/* SPDX-License-Identifier: MIT */
#include "audit.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/alloc.h"
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

int pc_audit_append(const char *state_dir, json_t *record, PcError *reterr)
{
        _cleanup_free_ char *dir = xasprintf("%s/audit", state_dir);
        if (mkdir(dir, 0700) < 0 && errno != EEXIST)
                return pc_error_set(reterr, -errno, "cannot create the audit directory '%s': %s",
                                    dir, strerror(errno));
        _cleanup_free_ char *path = xasprintf("%s/audit.jsonl", dir);

        struct stat st;
        if (stat(path, &st) == 0 && (size_t) st.st_size >= PC_AUDIT_ROTATE_BYTES)
                rotate(dir);

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
        _cleanup_free_ char *text = json_dumps(line, JSON_COMPACT | JSON_PRESERVE_ORDER);
        json_decref(line);
        if (!text)
                return pc_error_set(reterr, -EINVAL, "audit record is not valid JSON text");
        size_t len = strlen(text);
        text[len] = '\n'; /* json_dumps gave len+1 bytes: the NUL becomes the newline */

        _cleanup_close_ int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
        if (fd < 0)
                return pc_error_set(reterr, -errno, "cannot open the audit log '%s': %s", path,
                                    strerror(errno));
        ssize_t n = write(fd, text, len + 1);
        if (n != (ssize_t) (len + 1))
                return pc_error_set(reterr, n < 0 ? -errno : -EIO,
                                    "cannot write the audit log '%s': %s", path,
                                    n < 0 ? strerror(errno) : "short write");
        if (fsync(fd) < 0)
                return pc_error_set(reterr, -errno, "cannot sync the audit log '%s': %s", path,
                                    strerror(errno));
        return 0;
}
