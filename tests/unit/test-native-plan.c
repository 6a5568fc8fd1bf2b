/* SPDX-License-Identifier: MIT */
/* The native backend's plan (src/sandbox/native/plan.h): spec → namespaces, mounts,
 * capabilities, rlimits, cgroup limits, files. Pure: no root, nothing is created. */
#include "test-util.h"

#include <sys/resource.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "sandbox/native/plan.h"
#include "sandbox/sandbox.h"

static const char *fake_env(const char *name, void *userdata)
{
        return strcmp(name, "HOME") == 0 ? "/nonexistent-home" : NULL;
}

/* The spec of the main agent's group session in examples/sandbox-full.json5, with backend
 * native and the given replacements applied to the example's text. */
static PcSandboxSpec *example_spec(const char *from, const char *to)
{
        _cleanup_free_ char *path = xasprintf("%s/examples/sandbox-full.json5", test_source_dir());
        size_t len;
        _cleanup_free_ char *text = test_read_file(path, &len);
        PcBuf b = PC_BUF_INIT;
        pc_buf_addstr(&b, text);
        const char *subst[][2] = {{"backend: \"docker\"", "backend: \"native\""}, {from, to}};
        for (size_t i = 0; i < ELEMENTSOF(subst); i++) {
                if (!subst[i][0])
                        continue;
                char *at = strstr(b.buf, subst[i][0]);
                if (!at)
                        fail_msg("'%s' is not in the example", subst[i][0]);
                _cleanup_free_ char *tail = xstrdup(at + strlen(subst[i][0]));
                pc_buf_setlen(&b, (size_t) (at - b.buf));
                pc_buf_addstr(&b, subst[i][1]);
                pc_buf_addstr(&b, tail);
        }
        PcConfigLoadOptions opts = {.env = fake_env, .state_dir = "/nonexistent-state"};
        _cleanup_diags_ PcDiags diags = PC_DIAGS_INIT;
        PcConfig *cfg = NULL;
        PcError err = PC_ERROR_INIT;
        if (pc_config_load_buffer(b.buf, b.len, "/etc/full.json5", &opts, &diags, &cfg, &err) < 0)
                fail_msg("config did not load: %s", err.msg);
        pc_buf_release(&b);
        PcSandboxSession s = {0};
        PcSandboxSpec *spec = NULL;
        PcSandboxSpecOptions so = {.no_mkdir = true};
        if (pc_sandbox_resolve(cfg, "agent:main:whatsapp:group:1@g.us", &so, &s, &spec, &err) < 0)
                fail_msg("resolve: %s", err.msg);
        pc_sandbox_session_release(&s);
        pc_config_unref(cfg);
        assert_non_null(spec);
        assert_string_equal(spec->backend, "native");
        return spec;
}

static PcNativePlan *plan_of(const PcSandboxSpec *spec)
{
        PcNativePlan *p = NULL;
        PcError err = PC_ERROR_INIT;
        if (pc_native_plan_build(spec, &p, &err) < 0)
                fail_msg("plan: %s", err.msg);
        return p;
}

static const PcNativeMount *find_mount(const PcNativePlan *p, const char *target)
{
        for (size_t i = 0; i < p->n_mounts; i++)
                if (streq(p->mounts[i].target, target))
                        return &p->mounts[i];
        return NULL;
}

static void test_full_example(void **state)
{
        PcSandboxSpec *spec = example_spec(NULL, NULL);
        PcNativePlan *p = plan_of(spec);

        assert_string_equal(p->name, "pincer-sbx-agent-main-f331f052");
        assert_string_equal(p->hostname, p->name); /* no native.hostname */
        assert_string_equal(p->image, "openclaw-sandbox:bookworm-slim");
        assert_string_equal(p->workdir, "/workspace");
        assert_string_equal(p->user, "1000:1000");
        assert_int_equal(p->namespaces, PC_NATIVE_NS_MNT | PC_NATIVE_NS_PID | PC_NATIVE_NS_NET |
                                                PC_NATIVE_NS_UTS | PC_NATIVE_NS_IPC);
        assert_true(p->read_only_root);
        assert_int_equal(p->caps_keep, 0); /* capDrop ALL */

        /* cgroup limits */
        assert_int_equal(p->memory_bytes, 1073741824);
        assert_int_equal(p->memory_swap_bytes, 2147483648);
        assert_int_equal(p->pids_max, 256);
        assert_true(p->cpus == 1.0);

        /* rlimits, in the spec's order */
        assert_int_equal(p->n_rlimits, 2);
        assert_int_equal(p->rlimits[0].resource, RLIMIT_NOFILE);
        assert_int_equal(p->rlimits[0].soft, 1024);
        assert_int_equal(p->rlimits[0].hard, 2048);
        assert_int_equal(p->rlimits[1].resource, RLIMIT_NPROC);
        assert_int_equal(p->rlimits[1].soft, 256);

        /* mounts: tmpfs (Docker's noexec,nosuid,nodev), then the workspace, then the files */
        assert_int_equal(p->n_mounts, 3 + 1 + 3);
        assert_int_equal(p->mounts[0].type, PC_NATIVE_MOUNT_TMPFS);
        assert_string_equal(p->mounts[0].target, "/tmp");
        assert_int_equal(p->mounts[0].flags,
                         PC_NATIVE_MNT_NOEXEC | PC_NATIVE_MNT_NOSUID | PC_NATIVE_MNT_NODEV);
        assert_null(p->mounts[0].data);
        assert_string_equal(p->mounts[1].target, "/var/tmp");
        assert_string_equal(p->mounts[2].target, "/run");
        const PcNativeMount *ws = find_mount(p, "/workspace");
        assert_non_null(ws);
        assert_int_equal(ws->type, PC_NATIVE_MOUNT_BIND);
        assert_string_equal(ws->source, spec->workspace_dir);
        assert_false(ws->flags & PC_NATIVE_MNT_RDONLY); /* workspaceAccess none: writable */
        const PcNativeMount *rc = find_mount(p, "/etc/resolv.conf");
        assert_non_null(rc);
        assert_int_equal(rc->type, PC_NATIVE_MOUNT_FILE);
        assert_true(rc->flags & PC_NATIVE_MNT_RDONLY);
        assert_non_null(find_mount(p, "/etc/hosts"));
        assert_non_null(find_mount(p, "/etc/hostname"));

        /* files */
        assert_string_equal(p->resolv_conf, "nameserver 1.1.1.1\nnameserver 8.8.8.8\n");
        assert_non_null(strstr(p->hosts, "127.0.0.1\tlocalhost\n"));
        assert_non_null(strstr(p->hosts, "10.0.0.5\tinternal.service\n"));
        assert_non_null(strstr(p->hosts, "127.0.1.1\tpincer-sbx-agent-main-f331f052\n"));

        assert_string_equal(p->env[0], "LANG=C.UTF-8");
        assert_null(p->env[1]);
        assert_string_equal(p->seccomp_profile, "/etc/pincer/seccomp/sandbox.json");
        assert_string_equal(p->apparmor_profile, "pincer-sandbox");

        /* the explain view */
        json_t *j = pc_native_plan_to_json(p);
        assert_non_null(j);
        assert_int_equal(json_array_size(json_object_get(j, "namespaces")), 5);
        assert_int_equal(json_array_size(json_object_get(j, "capabilitiesKept")), 0);
        assert_int_equal(json_array_size(json_object_get(j, "mounts")), 3 + 7);
        assert_non_null(strstr(json_string_value(json_object_get(j, "root")), "read-only"));
        assert_int_equal(
                json_integer_value(json_object_get(json_object_get(j, "cgroupLimits"), "pidsMax")),
                256);
        json_decref(j);
        pc_native_plan_free(p);
        pc_sandbox_spec_free(spec);
}

static void test_caps_tmpfs_network_userns(void **state)
{
        /* Without capDrop ALL, Docker's default set; capAdd on top. */
        PcSandboxSpec *spec = example_spec("capDrop: [\"ALL\"]",
                                           "capDrop: [\"NET_RAW\"], capAdd: [\"SYS_PTRACE\"]");
        PcNativePlan *p = plan_of(spec);
        assert_false(p->caps_keep & (UINT64_C(1) << pc_native_cap_from_name("NET_RAW")));
        assert_true(p->caps_keep & (UINT64_C(1) << pc_native_cap_from_name("SYS_PTRACE")));
        assert_true(p->caps_keep & (UINT64_C(1) << pc_native_cap_from_name("CHOWN")));
        assert_false(p->caps_keep & (UINT64_C(1) << pc_native_cap_from_name("SYS_ADMIN")));
        pc_native_plan_free(p);
        pc_sandbox_spec_free(spec);

        spec = example_spec("readOnlyRoot: true", "readOnlyRoot: false");
        p = plan_of(spec);
        assert_false(p->read_only_root);
        pc_native_plan_free(p);
        pc_sandbox_spec_free(spec);

        spec = example_spec("tmpfs: [\"/tmp\", \"/var/tmp\", \"/run\"]",
                            "tmpfs: [\"/tmp:exec,size=64m,mode=1777\", \"/ro:ro\"]");
        p = plan_of(spec);
        assert_string_equal(p->mounts[0].target, "/tmp");
        assert_int_equal(p->mounts[0].flags, PC_NATIVE_MNT_NOSUID | PC_NATIVE_MNT_NODEV);
        assert_string_equal(p->mounts[0].data, "size=64m,mode=1777");
        assert_true(p->mounts[1].flags & PC_NATIVE_MNT_RDONLY);
        pc_native_plan_free(p);
        pc_sandbox_spec_free(spec);

        /* Only "none": the native backend has no egress yet. */
        spec = example_spec("network: \"none\"", "network: \"bridge\"");
        PcError err = PC_ERROR_INIT;
        p = NULL;
        assert_int_equal(pc_native_plan_build(spec, &p, &err), -EOPNOTSUPP);
        assert_null(p);
        assert_non_null(strstr(err.msg, "network 'bridge'"));
        pc_sandbox_spec_free(spec);

        assert_int_equal(pc_native_cap_from_name("NOPE"), -EINVAL);
        assert_string_equal(pc_native_cap_to_name(21), "SYS_ADMIN");
        assert_int_equal(pc_native_rlimit_from_name("core"), RLIMIT_CORE);
        assert_int_equal(pc_native_rlimit_from_name("bogus"), -EINVAL);
}

static void test_userns_plan_and_maps(void **state)
{
        PcSandboxSpec *spec = example_spec(NULL, NULL);
        PcNativePlan *p = plan_of(spec);
        json_t *j = pc_native_plan_to_json(p);
        assert_null(json_object_get(j, "userns"));
        json_decref(j);
        pc_native_plan_free(p);

        spec->userns = true;
        p = plan_of(spec);
        assert_true(p->namespaces & PC_NATIVE_NS_USER);
        j = pc_native_plan_to_json(p);
        json_t *ns = json_object_get(j, "namespaces");
        assert_string_equal(json_string_value(json_array_get(ns, json_array_size(ns) - 1)), "user");
        json_t *u = json_object_get(j, "userns");
        assert_string_equal(json_string_value(json_object_get(u, "uidMap")), "0 1073741824 65536");
        assert_string_equal(json_string_value(json_object_get(u, "gidMap")), "0 1073741824 65536");
        json_decref(j);
        pc_native_plan_free(p);
        pc_sandbox_spec_free(spec);
}

static void test_subid_overlap(void **state)
{
        const uint32_t base = PC_NATIVE_USERNS_BASE, n = PC_NATIVE_USERNS_COUNT;
        /* Debian's useradd delegations, far below. */
        assert_int_equal(pc_native_subid_overlap("alice:100000:65536\nbob:165536:65536\n", base, n),
                         0);
        assert_int_equal(pc_native_subid_overlap("", base, n), 0);
        /* Touching either end counts; one id short of it does not. */
        assert_int_equal(pc_native_subid_overlap("a:1:1\nx:1073741823:2\n", base, n), 2);
        assert_int_equal(pc_native_subid_overlap("x:1073741823:1", base, n), 0);
        assert_int_equal(pc_native_subid_overlap("x:1073807359:10\n", base, n), 1);
        assert_int_equal(pc_native_subid_overlap("x:1073807360:10\n", base, n), 0);
        /* Covering all of it. */
        assert_int_equal(pc_native_subid_overlap("big:0:4294967295", base, n), 1);
        /* Garbage and comments delegate nothing; a count of 0 neither. */
        assert_int_equal(pc_native_subid_overlap("# x:1073741824:1\nx:abc:1\nx:1073741824\n"
                                                 "x:1073741824:0\n:-1:5\nx:+1073741824:9\n"
                                                 "x:99999999999999999999:1\n",
                                                 base, n),
                         0);
        /* A leading comment line still counts as a line. */
        assert_int_equal(pc_native_subid_overlap("#\nx:1073741900:1", base, n), 2);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_full_example),
                cmocka_unit_test(test_caps_tmpfs_network_userns),
                cmocka_unit_test(test_userns_plan_and_maps),
                cmocka_unit_test(test_subid_overlap),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
