/* SPDX-License-Identifier: MIT */
/*
 * The service manager notification protocol of sd_notify(3), without libsystemd: one
 * datagram with "STATE=value" lines to the AF_UNIX socket named by $NOTIFY_SOCKET, an
 * absolute path or, with a leading '@', a name in the abstract namespace. Used for
 * READY=1, RELOADING=1 and STOPPING=1 (dist/systemd/pincer.service is Type=notify).
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "base/macro.h"
#include "gateway-internal.h"

int pc__gateway_notify(const char *state)
{
        const char *path = getenv("NOTIFY_SOCKET");
        if (!path || !*path)
                return 0;
        size_t n = strlen(path);
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        if ((path[0] != '/' && path[0] != '@') || n >= sizeof(sa.sun_path))
                return -EINVAL;
        memcpy(sa.sun_path, path, n);
        if (sa.sun_path[0] == '@')
                sa.sun_path[0] = '\0';
        socklen_t salen =
                (socklen_t) (offsetof(struct sockaddr_un, sun_path) + n + (path[0] == '/' ? 1 : 0));
        int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        ssize_t r = sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *) &sa, salen);
        int e = errno;
        close(fd);
        return r < 0 ? -e : 0;
}
