/* SPDX-License-Identifier: MIT */
/*
 * The gateway's own container (src/sandbox/docker/self.c): the container id from mountinfo and
 * cgroup text, the Mounts of an inspect reply, and the translation of bind sources to host
 * paths (bind mounts translate; volumes, tmpfs and the container's own files are refused).
 */
#include "test-util.h"

#include "base/alloc.h"
#include "sandbox/docker/backend.h"
#include "sandbox/docker/self.h"

#define ID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void test_id_from_mountinfo(void **state)
{
        const char *mi =
                "22 1 0:21 / / rw,relatime - overlay overlay rw,lowerdir=/x\n"
                "23 22 0:5 / /proc rw - proc proc rw\n"
                "30 22 8:1 /var/lib/docker/containers/" ID "/resolv.conf /etc/resolv.conf rw - "
                "ext4 /dev/sda1 rw\n"
                "31 22 8:1 /var/lib/docker/containers/" ID "/hostname /etc/hostname rw - ext4 "
                "/dev/sda1 rw\n";
        _cleanup_free_ char *id = pc_docker_self_id_from_mountinfo(mi);
        assert_string_equal(id, ID);
        /* On the host: no such mount. A 64-hex name elsewhere does not count. */
        assert_null(pc_docker_self_id_from_mountinfo("22 1 8:1 / / rw - ext4 /dev/sda1 rw\n"
                                                     "40 22 8:1 /srv/" ID
                                                     " /srv/data rw - ext4 /dev/sda1 rw\n"));
        /* A 65-hex run is not an id; truncated lines are ignored. */
        assert_null(pc_docker_self_id_from_mountinfo("31 22 8:1 /c/" ID
                                                     "0/hostname /etc/hostname rw\n31 22"));
        assert_null(pc_docker_self_id_from_mountinfo(""));
}

static void test_id_from_cgroup(void **state)
{
        _cleanup_free_ char *v2 =
                pc_docker_self_id_from_cgroup("0::/system.slice/docker-" ID ".scope\n");
        assert_string_equal(v2, ID);
        _cleanup_free_ char *v1 = pc_docker_self_id_from_cgroup("12:pids:/docker/" ID "\n");
        assert_string_equal(v1, ID);
        assert_null(pc_docker_self_id_from_cgroup("0::/\n"));
        assert_null(pc_docker_self_id_from_cgroup("0::/user.slice/user-0.slice/session-1.scope"));
}

static PcDockerSelf *self_from(const char *json)
{
        json_error_t jerr;
        json_t *v = json_loads(json, 0, &jerr);
        assert_non_null(v);
        PcDockerSelf *s = NULL;
        PcError err = PC_ERROR_INIT;
        assert_int_equal(pc_docker_self_from_inspect(v, &s, &err), 0);
        json_decref(v);
        return s;
}

static const char inspect[] = "{\"Id\":\"" ID "\",\"Mounts\":["
                              "{\"Type\":\"bind\",\"Source\":\"/srv/pincer/config\","
                              "\"Destination\":\"/home/pincer/.pincer\",\"RW\":true},"
                              "{\"Type\":\"bind\",\"Source\":\"/srv/work\","
                              "\"Destination\":\"/home/pincer/.pincer/workspace/\",\"RW\":true},"
                              "{\"Type\":\"volume\",\"Name\":\"cache\",\"Source\":\"/var/lib/"
                              "docker/volumes/cache/_data\","
                              "\"Destination\":\"/cache\"},"
                              "{\"Type\":\"tmpfs\",\"Source\":\"\",\"Destination\":\"/scratch\"},"
                              "{\"Type\":\"bind\",\"Source\":\"/\",\"Destination\":\"/host\"}]}";

static void expect_host(const PcDockerSelf *s, const char *path, const char *want)
{
        _cleanup_free_ char *host = NULL;
        PcError err = PC_ERROR_INIT;
        assert_int_equal(pc_docker_self_host_path(s, path, &host, &err), 0);
        assert_string_equal(host, want);
}

static void expect_refused(const PcDockerSelf *s, const char *path, const char *why)
{
        _cleanup_free_ char *host = NULL;
        PcError err = PC_ERROR_INIT;
        assert_int_equal(pc_docker_self_host_path(s, path, &host, &err), -EPERM);
        assert_null(host);
        if (!strstr(err.msg, why))
                fail_msg("'%s': expected '%s' in: %s", path, why, err.msg);
}

static void test_host_paths(void **state)
{
        _cleanup_(pc_docker_self_freep) PcDockerSelf *s = self_from(inspect);
        assert_string_equal(s->id, ID);
        assert_int_equal(s->n_mounts, 5);
        expect_host(s, "/home/pincer/.pincer", "/srv/pincer/config");
        expect_host(s, "/home/pincer/.pincer/sandboxes/agent-main",
                    "/srv/pincer/config/sandboxes/agent-main");
        /* The longest destination wins: the workspace is its own bind. */
        expect_host(s, "/home/pincer/.pincer/workspace", "/srv/work");
        expect_host(s, "/home/pincer/.pincer/workspace/repo", "/srv/work/repo");
        /* A prefix that is not a path component is not under the mount. */
        expect_refused(s, "/home/pincer/.pincerx", "gateway container's own filesystem");
        expect_host(s, "/host/srv/data", "/srv/data");
        expect_refused(s, "/cache/x", "volume 'cache' mounted at '/cache'");
        expect_refused(s, "/scratch", "tmpfs");
        expect_refused(s, "/opt/tools", "-v /host/dir:/opt/tools");
}

static void test_malformed_inspect(void **state)
{
        const char *bad[] = {
                "{}",
                "{\"Id\":\"x\",\"Mounts\":{}}",
                "{\"Id\":\"x\",\"Mounts\":[{\"Type\":\"bind\",\"Source\":\"/a\"}]}",
                "{\"Id\":\"x\",\"Mounts\":[{\"Type\":\"bind\",\"Destination\":\"rel\"}]}",
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                json_t *v = json_loads(bad[i], 0, NULL);
                PcDockerSelf *s = NULL;
                PcError err = PC_ERROR_INIT;
                assert_int_equal(pc_docker_self_from_inspect(v, &s, &err), -EINVAL);
                assert_null(s);
                json_decref(v);
        }
}

static void test_translate_create_body(void **state)
{
        _cleanup_(pc_docker_self_freep) PcDockerSelf *s = self_from(inspect);
        PcSandboxMount mounts[] = {
                {.kind = PC_MOUNT_WORKSPACE,
                 .source = (char *) "/home/pincer/.pincer/workspace",
                 .target = (char *) "/workspace"},
                {.kind = PC_MOUNT_BIND,
                 .source = (char *) "/home/pincer/.pincer/shared",
                 .target = (char *) "/shared",
                 .options = (char *) "ro,z"},
        };
        PcSandboxSpec spec = {.mounts = mounts, .n_mounts = 2, .workdir = "/workspace"};
        PcError err = PC_ERROR_INIT;
        json_t *body = pc_docker_create_body(&spec, "img", 0, &err);
        assert_non_null(body);
        assert_int_equal(pc_docker_self_translate_binds(s, &spec, body, &err), 0);
        json_t *binds = json_object_get(json_object_get(body, "HostConfig"), "Binds");
        assert_string_equal(json_string_value(json_array_get(binds, 0)), "/srv/work:/workspace");
        assert_string_equal(json_string_value(json_array_get(binds, 1)),
                            "/srv/pincer/config/shared:/shared:ro,z");
        json_decref(body);

        mounts[1].source = (char *) "/cache/data";
        body = pc_docker_create_body(&spec, "img", 0, &err);
        assert_int_equal(pc_docker_self_translate_binds(s, &spec, body, &err), -EPERM);
        assert_non_null(strstr(err.msg, "bind source '/cache/data'"));
        json_decref(body);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_id_from_mountinfo),
                cmocka_unit_test(test_id_from_cgroup),
                cmocka_unit_test(test_host_paths),
                cmocka_unit_test(test_malformed_inspect),
                cmocka_unit_test(test_translate_create_body),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
