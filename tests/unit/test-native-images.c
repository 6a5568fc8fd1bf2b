/* SPDX-License-Identifier: MIT */
/* The native image store: names, directory names, path errors, import, list and rm. */
#include <sys/stat.h>
#include <unistd.h>

#include "test-util.h"

#include "base/alloc.h"
#include "sandbox/native/images.h"

static char state[] = "/tmp/pincer-test-images-XXXXXX";

static void test_names(void **st)
{
        (void) st;
        assert_true(pc_image_name_valid("openclaw-sandbox:bookworm-slim"));
        assert_true(pc_image_name_valid("registry.local/team/img:1.2"));
        assert_true(pc_image_name_valid("a"));
        assert_false(pc_image_name_valid(""));
        assert_false(pc_image_name_valid(NULL));
        assert_false(pc_image_name_valid(".hidden"));
        assert_false(pc_image_name_valid("-x"));
        assert_false(pc_image_name_valid("a/../b"));
        assert_false(pc_image_name_valid("a//b"));
        assert_false(pc_image_name_valid("a/"));
        assert_false(pc_image_name_valid("a:"));
        assert_false(pc_image_name_valid("a b"));
        assert_false(pc_image_name_valid("a%3Ab"));
        char longname[200];
        memset(longname, 'a', sizeof(longname) - 1);
        longname[sizeof(longname) - 1] = '\0';
        assert_false(pc_image_name_valid(longname));
}

static void roundtrip(const char *name, const char *dir)
{
        _cleanup_free_ char *d = pc_image_dir_name(name);
        assert_non_null(d);
        assert_string_equal(d, dir);
        assert_null(strchr(d, '/'));
        assert_null(strchr(d, ':'));
        _cleanup_free_ char *back = pc_image_name_from_dir(d);
        assert_non_null(back);
        assert_string_equal(back, name);
}

static void test_dir_names(void **st)
{
        (void) st;
        roundtrip("openclaw-sandbox:bookworm-slim", "openclaw-sandbox%3Abookworm-slim");
        roundtrip("reg/team/img:1.2", "reg%2Fteam%2Fimg%3A1.2");
        roundtrip("plain", "plain");
        assert_null(pc_image_dir_name("bad name"));
        assert_null(pc_image_name_from_dir(".tmp-abc123"));
        assert_null(pc_image_name_from_dir("x%41"));
        assert_null(pc_image_name_from_dir("x%3"));
        assert_null(pc_image_name_from_dir(".lock"));
}

static void test_path_errors(void **st)
{
        (void) st;
        PcError err = PC_ERROR_INIT;
        char *rootfs = NULL;
        assert_int_equal(pc_image_path(state, "openclaw-sandbox:bookworm-slim", &rootfs, &err),
                         -ENOENT);
        assert_null(rootfs);
        assert_string_equal(err.msg, "native image 'openclaw-sandbox:bookworm-slim' not found; "
                                     "build it with: pincer image build "
                                     "openclaw-sandbox:bookworm-slim");
        assert_int_equal(pc_image_path(state, "no good", &rootfs, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "invalid image name 'no good'"));

        json_t *list = NULL;
        assert_int_equal(pc_image_list(state, &list, &err), 0);
        assert_int_equal(json_array_size(list), 0);
        json_decref(list);
        assert_int_equal(pc_image_remove(state, "nothing:here", &err), -ENOENT);
}

static void test_import(void **st)
{
        (void) st;
        PcError err = PC_ERROR_INIT;
        _cleanup_free_ char *src = xasprintf("%s/src", state);
        _cleanup_free_ char *tar = xasprintf("%s/rootfs.tar", state);
        _cleanup_free_ char *cmd = xasprintf(
                "mkdir -p %s/images/.tmp-crashed/rootfs %s/etc %s/bin && echo hello > "
                "%s/etc/greeting && chmod 0640 "
                "%s/etc/greeting && ln -s ../etc/greeting %s/bin/link && tar -cf %s -C %s .",
                state, src, src, src, src, src, tar, src);
        assert_int_equal(system(cmd), 0);

        if (pc_image_import(state, "test/img:one", tar, false, false, &err) < 0)
                fail_msg("import: %s", err.msg);
        char *rootfs = NULL;
        if (pc_image_path(state, "test/img:one", &rootfs, &err) < 0)
                fail_msg("path: %s", err.msg);
        _cleanup_free_ char *want = xasprintf("%s/images/test%%2Fimg%%3Aone/rootfs", state);
        assert_string_equal(rootfs, want);
        _cleanup_free_ char *greeting = xasprintf("%s/etc/greeting", rootfs);
        _cleanup_free_ char *content = test_read_file(greeting, NULL);
        assert_non_null(content);
        assert_string_equal(content, "hello\n");
        struct stat s;
        assert_int_equal(stat(greeting, &s), 0);
        assert_int_equal(s.st_mode & 07777, 0640);
        _cleanup_free_ char *link = xasprintf("%s/bin/link", rootfs);
        assert_int_equal(lstat(link, &s), 0);
        assert_true(S_ISLNK(s.st_mode));
        free(rootfs);

        /* A second import of the same name is refused unless replacing. */
        assert_int_equal(pc_image_import(state, "test/img:one", tar, false, false, &err), -EEXIST);
        assert_non_null(strstr(err.msg, "pincer image rm test/img:one"));
        if (pc_image_import(state, "test/img:one", tar, true, false, &err) < 0)
                fail_msg("replace: %s", err.msg);

        /* A tarball that is not one: an error naming the log, nothing left behind. */
        _cleanup_free_ char *bogus = xasprintf("%s/bogus.tar", state);
        test_write_file(bogus, "this is not a tar archive\n");
        assert_true(pc_image_import(state, "broken", bogus, false, false, &err) < 0);
        assert_non_null(strstr(err.msg, "tar -xpf failed"));
        assert_non_null(strstr(err.msg, ".logs/broken.log"));
        assert_int_equal(pc_image_path(state, "broken", &rootfs, &err), -ENOENT);

        json_t *list = NULL;
        assert_int_equal(pc_image_list(state, &list, &err), 0);
        assert_int_equal(json_array_size(list), 1);
        json_t *o = json_array_get(list, 0);
        assert_string_equal(json_string_value(json_object_get(o, "name")), "test/img:one");
        assert_string_equal(json_string_value(json_object_get(o, "source")), "import");
        assert_non_null(json_string_value(json_object_get(o, "created")));
        json_decref(list);

        if (pc_image_remove(state, "test/img:one", &err) < 0)
                fail_msg("rm: %s", err.msg);
        assert_int_equal(pc_image_path(state, "test/img:one", &rootfs, &err), -ENOENT);
        assert_int_equal(pc_image_list(state, &list, &err), 0);
        assert_int_equal(json_array_size(list), 0);
        json_decref(list);

        /* No temporary directories left in the store (.tmp-crashed was swept). */
        _cleanup_free_ char *ls = xasprintf("test -z \"$(ls -A %s/images | grep -v "
                                            "'^\\.lock$' | grep -v '^\\.logs$')\"",
                                            state);
        assert_int_equal(system(ls), 0);
}

static void test_build_checks(void **st)
{
        (void) st;
        PcError err = PC_ERROR_INIT;
        PcImageBuildOptions o = {.name = "x:y", .packages = "git; rm -rf /"};
        int r = pc_image_build(state, &o, &err);
        assert_true(r < 0);
        if (geteuid() != 0) {
                assert_int_equal(r, -EPERM);
                assert_non_null(strstr(err.msg, "needs root"));
        } else {
                assert_int_equal(r, -EINVAL);
                assert_non_null(strstr(err.msg, "invalid package name 'git;'"));
        }
        o = (PcImageBuildOptions){.name = "x:y", .suite = "../etc"};
        assert_int_equal(pc_image_build(state, &o, &err), -EINVAL);
        o = (PcImageBuildOptions){.name = "x:y", .from = "missing:image", .packages = ""};
        if (geteuid() == 0) {
                assert_int_equal(pc_image_build(state, &o, &err), -ENOENT);
                assert_non_null(strstr(err.msg, "pincer image build missing:image"));
        }
}

static int teardown(void **st)
{
        (void) st;
        _cleanup_free_ char *cmd = xasprintf("rm -rf %s", state);
        return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
        if (!mkdtemp(state)) {
                perror("mkdtemp");
                return 1;
        }
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_names),        cmocka_unit_test(test_dir_names),
                cmocka_unit_test(test_path_errors),  cmocka_unit_test(test_import),
                cmocka_unit_test(test_build_checks),
        };
        return cmocka_run_group_tests(tests, NULL, teardown);
}
