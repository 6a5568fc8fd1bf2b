/* SPDX-License-Identifier: MIT */
/* The agent runtime's pure parts: SSE framing, stream assembly, provider resolution. */
#include "test-util.h"

#include <errno.h>
#include <stdlib.h>

#include "agents/loop.h"
#include "agents/model.h"
#include "agents/provider.h"
#include "agents/sse.h"
#include "base/alloc.h"

typedef struct Seen {
        char events[8][32];
        char data[8][128];
        size_t n;
} Seen;

static int record(const char *event, const char *data, size_t len, void *userdata, PcError *reterr)
{
        Seen *s = userdata;
        assert_true(s->n < 8);
        snprintf(s->events[s->n], sizeof(s->events[0]), "%s", event);
        snprintf(s->data[s->n], sizeof(s->data[0]), "%.*s", (int) len, data);
        s->n++;
        return 0;
}

static void test_sse_split_anywhere(void **state)
{
        static const char stream[] = ": hi\r\nevent: a\r\ndata: one\r\ndata:two\r\n\r\n"
                                     "data: {\"x\":1}\n\nid: 3\nevent: b\ndata\n\n";
        for (size_t chunk = 1; chunk <= sizeof(stream); chunk++) {
                Seen s = {0};
                PcSseParser p;
                pc_sse_init(&p, record, &s);
                PcError err = PC_ERROR_INIT;
                for (size_t off = 0; off < sizeof(stream) - 1; off += chunk) {
                        size_t n =
                                sizeof(stream) - 1 - off < chunk ? sizeof(stream) - 1 - off : chunk;
                        assert_int_equal(pc_sse_feed(&p, stream + off, n, &err), 0);
                }
                assert_int_equal(s.n, 3);
                assert_string_equal(s.events[0], "a");
                assert_string_equal(s.data[0], "one\ntwo");
                assert_string_equal(s.events[1], "");
                assert_string_equal(s.data[1], "{\"x\":1}");
                assert_string_equal(s.events[2], "b");
                assert_string_equal(s.data[2], "");
                assert_false(pc_sse_pending(&p));
                pc_sse_release(&p);
        }
}

static void test_openai_tool_call_deltas(void **state)
{
        static const char *const chunks[] = {
                "{\"choices\":[{\"delta\":{\"content\":\"Hi \"}}]}",
                "{\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"c1\","
                "\"function\":{\"name\":\"exec\",\"arguments\":\"{\\\"comm\"}}]}}]}",
                "{\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":1,\"id\":\"c2\","
                "\"function\":{\"name\":\"read\",\"arguments\":\"{\\\"path\\\":\\\"a\\\"}\"}}]}}]}",
                "{\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,"
                "\"function\":{\"arguments\":\"and\\\":\\\"ls\\\"}\"}}]}}]}",
                "{\"choices\":[{\"delta\":{},\"finish_reason\":\"tool_calls\"}]}",
                "[DONE]",
        };
        PcModelTurn t;
        pc_model_turn_init(&t, NULL);
        PcError err = PC_ERROR_INIT;
        for (size_t i = 0; i < ELEMENTSOF(chunks); i++)
                assert_int_equal(pc_openai_stream_event(&t, "", chunks[i], strlen(chunks[i]), &err),
                                 0);
        assert_true(t.done);
        assert_int_equal(t.n_calls, 2);
        bool bad[2];
        json_t *msg = pc_model_turn_message(&t, "openai-completions", "p", "m", 1, bad);
        _cleanup_free_ char *s = json_dumps(json_object_get(msg, "content"), JSON_COMPACT);
        assert_string_equal(s, "[{\"type\":\"text\",\"text\":\"Hi \"},{\"type\":\"toolCall\","
                               "\"id\":\"c1\",\"name\":\"exec\",\"arguments\":{\"command\":"
                               "\"ls\"}},{\"type\":\"toolCall\",\"id\":\"c2\",\"name\":\"read\","
                               "\"arguments\":{\"path\":\"a\"}}]");
        assert_string_equal(json_string_value(json_object_get(msg, "stopReason")), "toolUse");
        json_decref(msg);
        pc_model_turn_release(&t);
}

static const char *fake_env(const char *name, void *userdata)
{
        if (strcmp(name, "HOME") == 0)
                return "/home/tester";
        return NULL;
}

static void test_example_providers(void **state)
{
        _cleanup_free_ char *path = xasprintf("%s/examples/agents-models.json5", test_source_dir());
        PcConfigLoadOptions opts = {.path = path, .env = fake_env, .state_dir = "/state"};
        _cleanup_diags_ PcDiags diags = PC_DIAGS_INIT;
        PcConfig *cfg = NULL;
        PcError err = PC_ERROR_INIT;
        assert_int_equal(pc_config_load(&opts, &diags, &cfg, &err), 0);

        setenv("OPENAI_API_KEY", "sk-from-env", 1);
        PcProvider p;
        assert_int_equal(pc_provider_resolve(cfg, "openai/gpt-4o", &p, &err), 0);
        assert_int_equal(p.api, PC_MODEL_API_OPENAI_COMPLETIONS);
        assert_string_equal(p.base_url, "https://api.openai.com/v1");
        assert_string_equal(p.api_key, "sk-from-env");
        assert_int_equal(p.idle_timeout_s, 120);
        assert_int_equal(p.max_tokens, 16384);
        pc_provider_release(&p);
        unsetenv("OPENAI_API_KEY");

        assert_int_equal(pc_provider_resolve(cfg, "anthropic/claude-sonnet-4-5", &p, &err), 0);
        assert_int_equal(p.api, PC_MODEL_API_ANTHROPIC_MESSAGES);
        pc_provider_release(&p);
        assert_int_equal(pc_provider_resolve(cfg, "ollama/qwen2.5-coder:7b", &p, &err), 0);
        assert_int_equal(p.idle_timeout_s, 300);
        assert_null(p.api_key);
        pc_provider_release(&p);
        assert_int_equal(pc_provider_resolve(cfg, "llamacpp/local", &p, &err), 0);
        assert_int_equal(p.idle_timeout_s, 300); /* local server */
        pc_provider_release(&p);

        assert_int_equal(pc_provider_resolve(cfg, "ollama/nope", &p, &err), -ENOENT);
        assert_non_null(strstr(err.msg, "unknown model \"ollama/nope\""));
        assert_int_equal(pc_provider_resolve(cfg, "nowhere/x", &p, &err), -ENOENT);
        assert_non_null(strstr(err.msg, "not in models.providers"));
        assert_int_equal(pc_provider_resolve(cfg, "gpt-4o", &p, &err), -EINVAL);

        /* the family agent is offered no exec */
        const PcAgent *family = pc_config_find_agent(cfg, "family");
        PcPolicyContext ctx = PC_POLICY_CONTEXT_INIT;
        ctx.agent = family;
        ctx.sandboxed = true;
        PcPolicyResult *policy = NULL;
        assert_int_equal(pc_policy_evaluate(cfg, &ctx, &policy, &err), 0);
        json_t *tools = pc_agent_tool_schemas(policy);
        size_t i;
        json_t *t;
        bool has_read = false;
        json_array_foreach (tools, i, t) {
                const char *name = json_string_value(json_object_get(t, "name"));
                assert_string_not_equal(name, "exec");
                has_read = has_read || strcmp(name, "read") == 0;
                assert_true(json_is_object(json_object_get(t, "parameters")));
        }
        assert_true(has_read);
        json_decref(tools);
        pc_policy_result_free(policy);
        pc_config_unref(cfg);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_sse_split_anywhere),
                cmocka_unit_test(test_openai_tool_call_deltas),
                cmocka_unit_test(test_example_providers),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
