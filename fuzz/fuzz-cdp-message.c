/* SPDX-License-Identifier: MIT */
/*
 * Fuzzes what a browser (possibly a compromised renderer's browser process inside a sandbox)
 * sends the gateway over the CDP pipe (src/browser/cdp.h): the input is the byte stream, NUL
 * separated messages. It goes through the parser directly, message by message, and through
 * the client's reader (a call whose answer may be in the stream, then a drain). Besides "no
 * crash, leak or UB" it checks that a parsed message is either a response (id >= 0 with a
 * result object or an error message) or an event (a method and a params object), and that a
 * refusal says why.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "browser/cdp.h"

static unsigned events;

static void on_event(void *userdata, const PcCdpMessage *m)
{
        (void) userdata;
        if (!m->method || !json_is_object(m->params))
                abort();
        events++;
}

static void check_one(const char *data, size_t len)
{
        PcCdpMessage m;
        PcError err = PC_ERROR_INIT;
        int r = pc_cdp_message_parse(data, len, &m, &err);
        if (r < 0) {
                if (!err.msg[0] || m.root)
                        abort();
                return;
        }
        if (m.id >= 0) {
                if (!m.error && !json_is_object(m.result))
                        abort();
        } else if (!m.method || !json_is_object(m.params)) {
                abort();
        }
        pc_cdp_message_release(&m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size > 60000)
                return 0;
        const char *p = (const char *) data, *end = p + size;
        while (p < end) {
                const char *nul = memchr(p, '\0', (size_t) (end - p));
                size_t n = nul ? (size_t) (nul - p) : (size_t) (end - p);
                check_one(p, n);
                p += n + 1;
        }

        int sv[2];
        if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
                abort();
        int buf = 256 * 1024;
        (void) setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
        (void) setsockopt(sv[0], SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
        if (size && write(sv[1], data, size) != (ssize_t) size)
                abort();
        (void) shutdown(sv[1], SHUT_WR);
        PcCdp *c = pc_cdp_new(sv[0], sv[0], on_event, NULL);
        PcError err = PC_ERROR_INIT;
        json_t *res = NULL;
        int r = pc_cdp_call(c, "S", "Page.navigate", NULL, 50, &res, &err);
        if (r == 0 && !json_is_object(res))
                abort();
        if (r < 0 && !err.msg[0])
                abort();
        json_decref(res);
        pc_cdp_expect(c, NULL, "Page.loadEventFired");
        err = (PcError) PC_ERROR_INIT;
        (void) pc_cdp_wait(c, 10, &err);
        pc_cdp_drain(c);
        pc_cdp_free(c);
        close(sv[1]);
        return 0;
}
