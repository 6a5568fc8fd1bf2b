/* SPDX-License-Identifier: MIT */
/* The CDP client (src/browser/cdp.c) against a scripted peer on a socketpair: framing, ids,
 * events between answers, errors, timeouts, a peer that goes away. */
#include "test-util.h"

#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include "browser/cdp.h"

typedef struct Peer {
        int fd;
        PcCdp *c;
        int events;
        char last_event[64];
} Peer;

static void on_event(void *userdata, const PcCdpMessage *m)
{
        Peer *p = userdata;
        p->events++;
        snprintf(p->last_event, sizeof(p->last_event), "%s", m->method);
}

static int setup(void **state)
{
        int sv[2];
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
        Peer *p = calloc(1, sizeof(*p));
        p->fd = sv[1];
        p->c = pc_cdp_new(sv[0], sv[0], on_event, p);
        *state = p;
        return 0;
}

static int teardown(void **state)
{
        Peer *p = *state;
        pc_cdp_free(p->c);
        if (p->fd >= 0)
                close(p->fd);
        free(p);
        return 0;
}

static void say(Peer *p, const char *msg)
{
        assert_int_equal(write(p->fd, msg, strlen(msg) + 1), (ssize_t) strlen(msg) + 1);
}

/* Reads the command the client wrote (up to its NUL). */
static json_t *heard(Peer *p)
{
        char buf[4096];
        size_t n = 0;
        while (n < sizeof(buf)) {
                assert_int_equal(read(p->fd, buf + n, 1), 1);
                if (buf[n] == '\0')
                        break;
                n++;
        }
        json_error_t e;
        json_t *j = json_loadb(buf, n, 0, &e);
        assert_non_null(j);
        return j;
}

static void test_call_with_events_in_between(void **state)
{
        Peer *p = *state;
        say(p, "{\"method\":\"Target.targetCreated\",\"params\":{\"targetInfo\":{}}}");
        say(p, "{\"id\":1,\"result\":{\"product\":\"Chrome/1\"}}");
        json_t *res = NULL;
        PcError err = PC_ERROR_INIT;
        assert_int_equal(pc_cdp_call(p->c, "S1", "Browser.getVersion", json_pack("{s:i}", "x", 1),
                                     1000, &res, &err),
                         0);
        assert_string_equal(json_string_value(json_object_get(res, "product")), "Chrome/1");
        json_decref(res);
        assert_int_equal(p->events, 1);
        assert_string_equal(p->last_event, "Target.targetCreated");
        json_t *cmd = heard(p);
        assert_int_equal(json_integer_value(json_object_get(cmd, "id")), 1);
        assert_string_equal(json_string_value(json_object_get(cmd, "method")),
                            "Browser.getVersion");
        assert_string_equal(json_string_value(json_object_get(cmd, "sessionId")), "S1");
        assert_int_equal(json_integer_value(json_object_get(json_object_get(cmd, "params"), "x")),
                         1);
        json_decref(cmd);
}

static void test_error_answer_and_stale_ids(void **state)
{
        Peer *p = *state;
        say(p, "{\"id\":7,\"result\":{}}"); /* the late answer of an earlier command */
        say(p, "{\"id\":1,\"error\":{\"code\":-32000,\"message\":\"Cannot navigate\"}}");
        PcError err = PC_ERROR_INIT;
        assert_int_equal(pc_cdp_call(p->c, NULL, "Page.navigate", NULL, 1000, NULL, &err), -EIO);
        assert_non_null(strstr(err.msg, "Page.navigate: Cannot navigate"));
        assert_true(pc_cdp_alive(p->c));
}

static void test_timeout_then_late_answer(void **state)
{
        Peer *p = *state;
        PcError err = PC_ERROR_INIT;
        assert_int_equal(pc_cdp_call(p->c, NULL, "Slow.thing", NULL, 50, NULL, &err), -ETIMEDOUT);
        assert_non_null(strstr(err.msg, "Slow.thing"));
        assert_true(pc_cdp_alive(p->c));
        /* the answer of 1 comes late and is skipped; 2 is ours */
        say(p, "{\"id\":1,\"result\":{\"late\":true}}");
        say(p, "{\"id\":2,\"result\":{\"late\":false}}");
        json_t *res = NULL;
        assert_int_equal(pc_cdp_call(p->c, NULL, "Fast.thing", NULL, 1000, &res, &err), 0);
        assert_true(json_is_false(json_object_get(res, "late")));
        json_decref(res);
}

static void test_expect_sees_event_during_call(void **state)
{
        Peer *p = *state;
        pc_cdp_expect(p->c, "S", "Page.loadEventFired");
        say(p, "{\"method\":\"Page.loadEventFired\",\"sessionId\":\"OTHER\",\"params\":{}}");
        say(p, "{\"method\":\"Page.loadEventFired\",\"sessionId\":\"S\",\"params\":{}}");
        say(p, "{\"id\":1,\"result\":{\"frameId\":\"F\"}}");
        PcError err = PC_ERROR_INIT;
        assert_int_equal(pc_cdp_call(p->c, "S", "Page.navigate", NULL, 1000, NULL, &err), 0);
        assert_int_equal(pc_cdp_wait(p->c, 10, &err), 0);
        /* armed again, nothing comes: a timeout */
        pc_cdp_expect(p->c, "S", "Page.loadEventFired");
        assert_int_equal(pc_cdp_wait(p->c, 30, &err), -ETIMEDOUT);
}

static void *slow_writer(void *arg)
{
        Peer *p = arg;
        const char msg[] = "{\"method\":\"A.b\",\"params\":{}}\0{\"id\":1,\"result\":{\"ok\":1}}";
        for (size_t i = 0; i < sizeof(msg); i++) {
                assert_int_equal(write(p->fd, msg + i, 1), 1);
                usleep(200);
        }
        return NULL;
}

static void test_messages_in_pieces(void **state)
{
        Peer *p = *state;
        pthread_t t;
        pthread_create(&t, NULL, slow_writer, p);
        json_t *res = NULL;
        PcError err = PC_ERROR_INIT;
        assert_int_equal(pc_cdp_call(p->c, NULL, "X.y", NULL, 5000, &res, &err), 0);
        pthread_join(t, NULL);
        assert_int_equal(json_integer_value(json_object_get(res, "ok")), 1);
        assert_int_equal(p->events, 1);
        json_decref(res);
}

/* A peer that takes a command only after its own output went out (like the Docker exec
 * relaying both ways on one thread): the client keeps reading while its command waits. */
static void *chatty_peer(void *arg)
{
        Peer *p = arg;
        char ev[1024];
        int n = snprintf(ev, sizeof(ev), "{\"method\":\"Log.x\",\"params\":{\"pad\":\"%0900d\"}}",
                         0);
        for (int i = 0; i < 2000; i++) /* ~2 MB: more than any socket buffer */
                if (write(p->fd, ev, (size_t) n + 1) != n + 1)
                        return NULL;
        /* then take the whole command, up to its NUL */
        char buf[65536];
        for (bool end = false; !end;) {
                ssize_t k = read(p->fd, buf, sizeof(buf));
                if (k <= 0)
                        return NULL;
                end = memchr(buf, '\0', (size_t) k) != NULL;
        }
        say(p, "{\"id\":1,\"result\":{}}");
        return NULL;
}

static void test_big_command_to_a_chatty_peer(void **state)
{
        Peer *p = *state;
        pthread_t t;
        pthread_create(&t, NULL, chatty_peer, p);
        usleep(50 * 1000);
        size_t len = 1024 * 1024;
        char *text = malloc(len + 1);
        memset(text, 'a', len);
        text[len] = '\0';
        PcError err = PC_ERROR_INIT;
        assert_int_equal(pc_cdp_call(p->c, NULL, "Input.insertText",
                                     json_pack("{s:s}", "text", text), 10000, NULL, &err),
                         0);
        free(text);
        pthread_join(t, NULL);
        assert_int_equal(p->events, 2000);
}

static void test_peer_goes_away(void **state)
{
        Peer *p = *state;
        say(p, "{\"method\":\"Inspector.detached\",\"params\":{}}");
        close(p->fd);
        p->fd = -1;
        PcError err = PC_ERROR_INIT;
        int r = pc_cdp_call(p->c, NULL, "X.y", NULL, 1000, NULL, &err);
        assert_int_equal(r, -EPIPE);
        assert_false(pc_cdp_alive(p->c));
        assert_non_null(strstr(err.msg, "exited"));
        /* and stays so, without touching the fd */
        assert_int_equal(pc_cdp_call(p->c, NULL, "X.y", NULL, 1000, NULL, &err), -EPIPE);
}

static void test_garbage_ends_the_connection(void **state)
{
        Peer *p = *state;
        say(p, "[1,2,3]");
        PcError err = PC_ERROR_INIT;
        assert_int_equal(pc_cdp_call(p->c, NULL, "X.y", NULL, 1000, NULL, &err), -EBADMSG);
        assert_non_null(strstr(err.msg, "browser protocol error"));
        assert_false(pc_cdp_alive(p->c));
}

static void test_parse_shapes(void **state)
{
        PcCdpMessage m;
        PcError err = PC_ERROR_INIT;
        const char *ok_event = "{\"method\":\"M\"}";
        assert_int_equal(pc_cdp_message_parse(ok_event, strlen(ok_event), &m, &err), 0);
        assert_int_equal(m.id, -1);
        assert_true(json_is_object(m.params)); /* absent params read as {} */
        pc_cdp_message_release(&m);
        static const char *const bad[] = {
                "{\"id\":-1,\"result\":{}}",
                "{\"id\":1.5,\"result\":{}}",
                "{\"id\":1}",
                "{\"id\":1,\"result\":[]}",
                "{\"method\":3}",
                "{\"sessionId\":1}",
                "{\"method\":\"M\",\"params\":[]}",
                "\"x\"",
                "{\"id\":1,\"error\":\"s\"}",
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                err = (PcError) PC_ERROR_INIT;
                assert_int_equal(pc_cdp_message_parse(bad[i], strlen(bad[i]), &m, &err), -EBADMSG);
                assert_true(err.msg[0] != '\0');
                assert_null(m.root);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_call_with_events_in_between, setup, teardown),
                cmocka_unit_test_setup_teardown(test_error_answer_and_stale_ids, setup, teardown),
                cmocka_unit_test_setup_teardown(test_timeout_then_late_answer, setup, teardown),
                cmocka_unit_test_setup_teardown(test_expect_sees_event_during_call, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_messages_in_pieces, setup, teardown),
                cmocka_unit_test_setup_teardown(test_big_command_to_a_chatty_peer, setup, teardown),
                cmocka_unit_test_setup_teardown(test_peer_goes_away, setup, teardown),
                cmocka_unit_test_setup_teardown(test_garbage_ends_the_connection, setup, teardown),
                cmocka_unit_test(test_parse_shapes),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
