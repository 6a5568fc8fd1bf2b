/* SPDX-License-Identifier: MIT */
/*
 * The tool policy engine (spec 3.1-3.11, 4.5): table-driven. Each case loads a config, builds
 * a context, and checks the exact set of allowed catalog tools, a few verdicts (step, key,
 * entry, rule) and the warnings.
 */
#include "test-util.h"

#include "base/alloc.h"
#include "base/buf.h"
#include "policy/catalog.h"
#include "policy/policy.h"

#define ALL                                                                                        \
        "read write edit apply_patch exec process code_execution web_search web_fetch x_search "   \
        "memory_search memory_get sessions_list sessions_history sessions_send sessions_spawn "    \
        "sessions_yield subagents session_status browser canvas message cron gateway nodes "       \
        "agents_list update_plan image image_generate music_generate video_generate tts"
#define CODING                                                                                     \
        "read write edit apply_patch exec process code_execution web_search web_fetch x_search "   \
        "memory_search memory_get sessions_list sessions_history sessions_send sessions_spawn "    \
        "sessions_yield subagents session_status cron update_plan image image_generate "           \
        "music_generate video_generate"
#define MESSAGING "sessions_list sessions_history sessions_send session_status message"
#define SANDBOX_ALLOW                                                                              \
        "exec process read write edit apply_patch image sessions_list sessions_history "           \
        "sessions_send sessions_spawn sessions_yield subagents session_status"
/* ALL minus the default sandbox deny list's catalog tools. */
#define ALL_BUT_HOST_CONTROL                                                                       \
        "read write edit apply_patch exec process code_execution web_search web_fetch x_search "   \
        "memory_search memory_get sessions_list sessions_history sessions_send sessions_spawn "    \
        "sessions_yield subagents session_status message agents_list update_plan image "           \
        "image_generate music_generate video_generate tts"
#define LEAF_SUBAGENT                                                                              \
        "read write edit apply_patch exec process code_execution web_search web_fetch x_search "   \
        "memory_search memory_get sessions_yield browser canvas message nodes update_plan image "  \
        "image_generate music_generate video_generate tts"

typedef struct Check {
        const char *tool;
        bool allowed;
        const char *step;  /* NULL: no step decided */
        const char *key;   /* NULL: no key */
        const char *entry; /* NULL: none ("not in allowlist") */
        const char *rule;  /* a fragment of the rule, or NULL */
} Check;

typedef struct Name {
        const char *name; /* any tool name for pc_policy_check() */
        bool allowed;
} Name;

typedef struct Case {
        const char *name;
        const char *config; /* JSON5 text, or "@<file under the source dir>" */
        const char *agent;  /* NULL: the default agent */
        const char *session;
        int sandboxed; /* -1: decided from the config (session.c) */
        const char *provider, *model;
        bool not_owner;
        const char *allowed; /* the exact allowed set, space separated */
        Check checks[6];
        Name names[4];
        const char *warnings[3]; /* fragments, one per expected warning, in order */
} Case;

#define AUTO -1

static const Case cases[] = {
        /* ---- spec 4.5: the documented examples -------------------------------------------- */
        {.name = "family example: main on the host gets everything",
         .config = "@examples/multi-agent-family.json5",
         .agent = "main",
         .sandboxed = AUTO,
         .allowed = ALL,
         .checks = {{"exec", true, NULL, NULL, NULL, "allowed: no step restricts it"}}},
        {.name = "family example: family only reads",
         .config = "@examples/multi-agent-family.json5",
         .agent = "family",
         .sandboxed = AUTO,
         .allowed = "read",
         .checks = {{"exec", false, "agent", "agents.list[1].tools.deny", "exec",
                     "denied by agents.list[1].tools.deny \"exec\""},
                    {"apply_patch", false, "agent", "agents.list[1].tools.deny", "apply_patch",
                     NULL},
                    {"image", false, "agent", "agents.list[1].tools.allow", NULL,
                     "not in allowlist of agents.list[1].tools.allow"},
                    {"read", true, "sandbox", "tools.sandbox.tools.allow", "read",
                     "allowed by agents.list[1].tools.allow \"read\"; also by "
                     "tools.sandbox.tools.allow (default) \"read\""}},
         .names = {{"bash", false}, {"READ", true}, {"whatsapp", false}}},
        {.name = "family example: the policy holds outside the sandbox too",
         .config = "@examples/multi-agent-family.json5",
         .agent = "family",
         .sandboxed = false,
         .allowed = "read",
         .checks = {{"read", true, "agent", "agents.list[1].tools.allow", "read", NULL}}},
        {.name = "work agent in a shared sandbox",
         .config = "@examples/multi-agent-work-shared.json5",
         .agent = "work",
         .sandboxed = AUTO,
         .allowed = "read write apply_patch exec",
         .checks = {{"browser", false, "agent", "agents.list[1].tools.deny", "browser", NULL},
                    {"process", false, "agent", "agents.list[1].tools.allow", NULL, NULL}},
         .names = {{"discord", false}}},
        {.name = "personal agent next to the work agent",
         .config = "@examples/multi-agent-work-shared.json5",
         .agent = "personal",
         .sandboxed = AUTO,
         .allowed = ALL},
        {.name = "example 2b as documented: agent allow intersects with the messaging profile",
         .config = "{tools:{profile:'coding'},agents:{list:[{id:'main',default:true},{id:'support',"
                   "tools:{profile:'messaging',allow:['slack']}}]}}",
         .agent = "support",
         .sandboxed = AUTO,
         .allowed = "",
         .checks = {{"session_status", false, "agent", "agents.list[1].tools.allow", NULL,
                     "not in allowlist of agents.list[1].tools.allow"},
                    {"exec", false, "profile", "agents.list[1].tools.profile", NULL,
                     "not in profile \"messaging\" (agents.list[1].tools.profile)"}},
         .names = {{"slack", false}},
         .warnings = {"tools: agents.support.tools.allow allowlist contains unknown entries "
                      "(slack). Allowlist contains only plugin entries; core tools will not be "
                      "available. These entries won't match any tool unless the plugin is "
                      "enabled."}},
        {.name = "example 2b fixed: alsoAllow extends the messaging profile",
         .config = "@examples/multi-agent-profiles.json5",
         .agent = "support",
         .sandboxed = AUTO,
         .allowed = MESSAGING,
         .checks = {{"message", true, "profile", "agents.list[1].tools.profile", "messaging",
                     "allowed by agents.list[1].tools.profile \"messaging\""}},
         .names = {{"slack", true}, {"discord", false}},
         .warnings = {"tools: tools.profile (messaging) allowlist contains unknown entries "
                      "(slack). These entries"}},
        {.name = "global coding profile for the main agent",
         .config = "@examples/multi-agent-profiles.json5",
         .agent = "main",
         .sandboxed = AUTO,
         .allowed = CODING,
         .checks = {{"browser", false, "profile", "tools.profile", NULL,
                     "not in profile \"coding\" (tools.profile)"}}},
        {.name = "per-agent modes: public is sandboxed and reads",
         .config = "@examples/multi-agent-modes.json5",
         .agent = "public",
         .sandboxed = AUTO,
         .allowed = "read"},
        {.name = "per-agent modes: main is never sandboxed",
         .config = "@examples/multi-agent-modes.json5",
         .agent = "main",
         .session = "agent:main:whatsapp:group:42",
         .sandboxed = AUTO,
         .allowed = ALL},
        {.name = "non-main: the main session runs direct",
         .config = "{agents:{defaults:{sandbox:{mode:'non-main'}},list:[{id:'main',default:true},"
                   "{id:'helper'}]}}",
         .agent = "helper",
         .sandboxed = AUTO,
         .allowed = ALL},
        {.name = "non-main: a group session is sandboxed with the default sandbox policy",
         .config = "{agents:{defaults:{sandbox:{mode:'non-main'}},list:[{id:'main',default:true},"
                   "{id:'helper'}]}}",
         .agent = "helper",
         .session = "agent:helper:whatsapp:group:42",
         .sandboxed = AUTO,
         .allowed = SANDBOX_ALLOW,
         .checks = {{"browser", false, "sandbox", "tools.sandbox.tools.deny", "browser",
                     "denied by tools.sandbox.tools.deny (default) \"browser\""},
                    {"web_fetch", false, "sandbox", "tools.sandbox.tools.allow", NULL,
                     "not in allowlist of tools.sandbox.tools.allow (default)"}}},
        {.name = "read-only access profile",
         .config = "@examples/access-profiles.json5",
         .agent = "reader",
         .sandboxed = AUTO,
         .allowed = "read sessions_list sessions_history sessions_send sessions_spawn "
                    "session_status"},
        {.name = "messaging-only access profile",
         .config = "@examples/access-profiles.json5",
         .agent = "messenger",
         .sandboxed = AUTO,
         .allowed = "sessions_list sessions_history sessions_send sessions_spawn session_status",
         .checks = {{"read", false, "agent", "agents.entries.messenger.tools.deny", "group:fs",
                     "denied by agents.entries.messenger.tools.deny \"group:fs\""}},
         .names = {{"whatsapp", false}},
         .warnings = {"tools: agents.messenger.tools.allow allowlist contains unknown entries "
                      "(whatsapp, telegram). These entries"}},

        /* ---- spec 3.3: profiles --------------------------------------------------------- */
        {.name = "profile minimal",
         .config = "{tools:{profile:'minimal'}}",
         .sandboxed = false,
         .allowed = "session_status"},
        {.name = "profile coding",
         .config = "{tools:{profile:'coding'}}",
         .sandboxed = false,
         .allowed = CODING},
        {.name = "profile messaging",
         .config = "{tools:{profile:'messaging'}}",
         .sandboxed = false,
         .allowed = MESSAGING},
        {.name = "profile full",
         .config = "{tools:{profile:'full'}}",
         .sandboxed = false,
         .allowed = ALL},
        {.name = "the agent's profile replaces the global one",
         .config = "{tools:{profile:'minimal'},agents:{list:[{id:'a',tools:{profile:'coding'}}]}}",
         .sandboxed = false,
         .allowed = CODING},
        {.name = "tools.exec adds exec and process to the profile",
         .config = "{tools:{profile:'messaging',exec:{host:'sandbox'}}}",
         .sandboxed = false,
         .allowed = MESSAGING " exec process",
         .checks = {{"exec", true, "profile", "tools.exec", "exec",
                     "allowed by tools.exec (set, which adds exec and process to the profile)"}}},
        {.name = "an agent's tools.fs adds read, write, edit (and so apply_patch)",
         .config = "{agents:{list:[{id:'a',tools:{profile:'minimal',fs:{workspaceOnly:true}}}]}}",
         .sandboxed = false,
         .allowed = "session_status read write edit apply_patch",
         .checks = {{"edit", true, "profile", "agents.list[0].tools.fs", "edit", NULL}}},
        {.name = "global alsoAllow extends the profile, the agent's replaces it",
         .config = "{tools:{profile:'minimal',alsoAllow:['read']},agents:{list:[{id:'a'},{id:'b',"
                   "tools:{alsoAllow:['exec']}}]}}",
         .agent = "b",
         .sandboxed = false,
         .allowed = "session_status exec"},

        /* ---- spec 3.4: names, aliases, globs, groups ------------------------------------ */
        {.name = "aliases and case in deny",
         .config = "{tools:{deny:['Bash',' apply-patch ']}}",
         .sandboxed = false,
         .allowed = "read write edit process code_execution web_search web_fetch x_search "
                    "memory_search memory_get sessions_list sessions_history sessions_send "
                    "sessions_spawn sessions_yield subagents session_status browser canvas "
                    "message cron gateway nodes agents_list update_plan image image_generate "
                    "music_generate video_generate tts",
         .checks = {{"exec", false, "tools", "tools.deny", "Bash", NULL},
                    {"apply_patch", false, "tools", "tools.deny", " apply-patch ", NULL}},
         .names = {{"BASH", false}, {"apply-patch", false}}},
        {.name = "aliases in allow",
         .config = "{tools:{allow:['BASH']}}",
         .sandboxed = false,
         .allowed = "exec"},
        {.name = "glob patterns",
         .config = "{tools:{allow:['sessions_*','*_generate']}}",
         .sandboxed = false,
         .allowed = "sessions_list sessions_history sessions_send sessions_spawn sessions_yield "
                    "image_generate music_generate video_generate",
         .checks = {{"session_status", false, "tools", "tools.allow", NULL, NULL},
                    {"image_generate", true, "tools", "tools.allow", "*_generate", NULL}},
         .names = {{"sessions_custom", true}}},
        {.name = "a glob is anchored at both ends",
         .config = "{tools:{allow:['s*s']}}",
         .sandboxed = false,
         .allowed = "subagents session_status"},
        {.name = "a star allows everything, a star deny removes everything",
         .config = "{tools:{allow:['*']},agents:{list:[{id:'a',tools:{deny:['*']}}]}}",
         .sandboxed = false,
         .allowed = ""},
        {.name = "groups expand",
         .config = "{tools:{allow:['group:fs','GROUP:SESSIONS']}}",
         .sandboxed = false,
         .allowed = "read write edit apply_patch sessions_list sessions_history sessions_send "
                    "sessions_spawn sessions_yield subagents session_status",
         .checks = {{"subagents", true, "tools", "tools.allow", "GROUP:SESSIONS", NULL}}},
        {.name = "group:openclaw is everything but the file and runtime tools",
         .config = "{tools:{deny:['group:openclaw']}}",
         .sandboxed = false,
         .allowed = "read write edit apply_patch exec process"},
        {.name = "group:plugins is unknown for now",
         .config = "{tools:{allow:['group:plugins']}}",
         .sandboxed = false,
         .allowed = "",
         .warnings = {"tools: tools.allow allowlist contains unknown entries (group:plugins). "
                      "Allowlist contains only plugin entries"}},
        {.name = "an empty entry is ignored and an empty allow restricts nothing",
         .config = "{tools:{allow:[''],deny:['']}}",
         .sandboxed = false,
         .allowed = ALL},

        /* ---- spec 3.5 / 3.6: deny wins, allowlists intersect, apply_patch follows write -- */
        {.name = "deny wins within a step",
         .config = "{tools:{allow:['exec','read'],deny:['exec']}}",
         .sandboxed = false,
         .allowed = "read"},
        {.name = "a global deny beats an agent allow",
         .config = "{tools:{deny:['exec']},agents:{list:[{id:'a',tools:{allow:['exec','read']}}]}}",
         .sandboxed = false,
         .allowed = "read",
         .checks = {{"exec", false, "tools", "tools.deny", "exec", NULL}}},
        {.name = "an agent deny beats a sandbox allow",
         .config = "{agents:{list:[{id:'a',sandbox:{mode:'all'},tools:{deny:['exec'],sandbox:{"
                   "tools:{allow:['exec','read']}}}}]}}",
         .sandboxed = AUTO,
         .allowed = "read image",
         .checks = {{"exec", false, "agent", "agents.list[0].tools.deny", "exec", NULL}}},
        {.name = "a sandbox deny removes what every other step allowed",
         .config = "{agents:{defaults:{sandbox:{mode:'all'}}},tools:{sandbox:{tools:{deny:['read']"
                   "}}}}",
         .sandboxed = AUTO,
         .allowed = "exec process write edit apply_patch image sessions_list sessions_history "
                    "sessions_send sessions_spawn sessions_yield subagents session_status",
         .checks = {{"read", false, "sandbox", "tools.sandbox.tools.deny", "read", NULL}}},
        {.name = "allowlists of different steps intersect",
         .config = "{tools:{allow:['read','write','exec']},agents:{list:[{id:'a',tools:{allow:["
                   "'write','exec','browser']}}]}}",
         .sandboxed = false,
         .allowed = "write apply_patch exec",
         .checks = {{"read", false, "agent", "agents.list[0].tools.allow", NULL,
                     "not in allowlist of agents.list[0].tools.allow"},
                    {"browser", false, "tools", "tools.allow", NULL,
                     "not in allowlist of tools.allow"}}},
        {.name = "apply_patch is denied where write is denied",
         .config = "{tools:{deny:['write']}}",
         .sandboxed = false,
         .checks = {{"apply_patch", false, "tools", "tools.deny", "write",
                     "denied by tools.deny \"write\" (apply_patch follows write)"}}},
        {.name = "apply_patch is allowed where write is allowed",
         .config = "{tools:{allow:['write']}}",
         .sandboxed = false,
         .allowed = "write apply_patch"},
        {.name = "allowing apply_patch does not allow write",
         .config = "{tools:{allow:['apply_patch']}}",
         .sandboxed = false,
         .allowed = "apply_patch"},
        {.name = "alsoAllow without allow restricts nothing at its step",
         .config = "{agents:{list:[{id:'a',tools:{alsoAllow:['read']}}]}}",
         .sandboxed = false,
         .allowed = ALL},

        /* ---- spec 3.5: byProvider ------------------------------------------------------- */
        {.name = "byProvider: provider/model wins over provider",
         .config = "{tools:{byProvider:{openai:{deny:['exec']},'OpenAI/GPT-5':{allow:['read']}}}}",
         .sandboxed = false,
         .provider = "openai",
         .model = "gpt-5",
         .allowed = "read",
         .checks = {{"exec", false, "tools.byProvider", "tools.byProvider[\"OpenAI/GPT-5\"].allow",
                     NULL, NULL}}},
        {.name = "byProvider: provider alone",
         .config = "{tools:{byProvider:{openai:{deny:['exec']},'openai/gpt-5':{allow:['read']}}}}",
         .sandboxed = false,
         .provider = "OpenAI",
         .model = "o3",
         .checks = {{"exec", false, "tools.byProvider", "tools.byProvider.openai.deny", "exec",
                     NULL},
                    {"read", true, NULL, NULL, NULL, NULL}}},
        {.name = "byProvider: no provider, no step",
         .config = "{tools:{byProvider:{openai:{deny:['exec']}}}}",
         .sandboxed = false,
         .allowed = ALL},
        {.name = "byProvider profile",
         .config = "{tools:{byProvider:{anthropic:{profile:'minimal'}}}}",
         .sandboxed = false,
         .provider = "anthropic",
         .allowed = "session_status",
         .checks = {{"read", false, "provider-profile", "tools.byProvider.anthropic.profile", NULL,
                     NULL}}},
        {.name = "agent byProvider is its own step",
         .config = "{agents:{list:[{id:'a',tools:{byProvider:{openai:{deny:['read']}}}}]}}",
         .sandboxed = false,
         .provider = "openai",
         .checks = {{"read", false, "agent.byProvider",
                     "agents.list[0].tools.byProvider.openai.deny", "read", NULL}}},

        /* ---- spec 3.7: the sandbox step ------------------------------------------------- */
        {.name = "the sandbox step applies only when sandboxed (off)",
         .config = "{agents:{list:[{id:'a',sandbox:{mode:'off'}}]}}",
         .sandboxed = false,
         .allowed = ALL},
        {.name = "the sandbox step applies only when sandboxed (forced on)",
         .config = "{agents:{list:[{id:'a',sandbox:{mode:'off'}}]}}",
         .sandboxed = true,
         .allowed = SANDBOX_ALLOW},
        {.name = "alsoAllow browser removes browser from the default deny",
         .config = "{agents:{defaults:{sandbox:{mode:'all'}}},tools:{sandbox:{tools:{alsoAllow:["
                   "'browser']}}}}",
         .sandboxed = AUTO,
         .allowed = SANDBOX_ALLOW " browser",
         .checks = {{"browser", true, "sandbox", "tools.sandbox.tools.alsoAllow", "browser",
                     "allowed by tools.sandbox.tools.alsoAllow \"browser\""},
                    {"canvas", false, "sandbox", "tools.sandbox.tools.deny", "canvas", NULL}},
         .names = {{"slack", false}}},
        {.name = "an allowed group carves its members out of the default deny",
         .config = "{agents:{list:[{id:'a',sandbox:{mode:'all'},tools:{sandbox:{tools:{allow:["
                   "'group:ui','slack']}}}}]}}",
         .sandboxed = AUTO,
         .allowed = "browser canvas image",
         .checks = {{"image", true, "sandbox", "agents.list[0].tools.sandbox.tools.allow", "image",
                     "image is added to every sandbox allowlist"}},
         .names = {{"slack", true}, {"discord", false}}},
        {.name = "a configured deny replaces the default deny",
         .config = "{agents:{defaults:{sandbox:{mode:'all'}}},tools:{sandbox:{tools:{alsoAllow:["
                   "'cron'],deny:[]}}}}",
         .sandboxed = AUTO,
         .allowed = SANDBOX_ALLOW " cron"},
        {.name = "image is appended to a configured allowlist",
         .config = "{agents:{defaults:{sandbox:{mode:'all'}}},tools:{sandbox:{tools:{allow:['read'"
                   "]}}}}",
         .sandboxed = AUTO,
         .allowed = "read image"},
        {.name = "image is not appended when denied",
         .config = "{agents:{defaults:{sandbox:{mode:'all'}}},tools:{sandbox:{tools:{allow:['read'"
                   "],deny:['image']}}}}",
         .sandboxed = AUTO,
         .allowed = "read"},
        {.name = "allow [] allows everything but the default deny",
         .config = "{agents:{defaults:{sandbox:{mode:'all'}}},tools:{sandbox:{tools:{allow:[]}}}}",
         .sandboxed = AUTO,
         .allowed = ALL_BUT_HOST_CONTROL},
        {.name = "each sandbox list is picked independently",
         .config = "{agents:{defaults:{sandbox:{mode:'all'}},list:[{id:'a',tools:{sandbox:{tools:{"
                   "deny:['exec']}}}}]},tools:{sandbox:{tools:{allow:['read','exec']}}}}",
         .sandboxed = AUTO,
         .allowed = "read image",
         .checks = {{"exec", false, "sandbox", "agents.list[0].tools.sandbox.tools.deny", "exec",
                     NULL},
                    {"write", false, "sandbox", "tools.sandbox.tools.allow", NULL,
                     "not in allowlist of tools.sandbox.tools.allow"}}},

        /* ---- spec 3.8: sub-agents --------------------------------------------------------- */
        {.name = "a leaf sub-agent (depth 1, maxSpawnDepth 1)",
         .config = "{}",
         .session = "agent:main:subagent:0f4c",
         .sandboxed = false,
         .allowed = LEAF_SUBAGENT,
         .checks = {{"gateway", false, "subagent", "tools.subagents.tools.deny", "gateway",
                     "denied by tools.subagents.tools.deny (default) \"gateway\" (sub-agents "
                     "never get it)"},
                    {"sessions_spawn", false, "subagent", "tools.subagents.tools.deny",
                     "sessions_spawn", "leaf sub-agents (depth 1 >= maxSpawnDepth 1)"}},
         .names = {{"whatsapp_login", false}}},
        {.name = "an orchestrator sub-agent (depth 1, maxSpawnDepth 2)",
         .config = "{agents:{defaults:{subagents:{maxSpawnDepth:2}}}}",
         .session = "agent:main:subagent:0f4c",
         .sandboxed = false,
         .allowed = LEAF_SUBAGENT " subagents sessions_list sessions_history sessions_spawn"},
        {.name = "a leaf at depth 2",
         .config = "{agents:{defaults:{subagents:{maxSpawnDepth:2}}}}",
         .session = "agent:main:subagent:a:subagent:b",
         .sandboxed = false,
         .allowed = LEAF_SUBAGENT},
        {.name = "sub-agent alsoAllow takes a tool out of the defaults; deny adds",
         .config = "{tools:{subagents:{tools:{alsoAllow:['sessions_send'],deny:['read']}}}}",
         .session = "agent:main:subagent:x",
         .sandboxed = false,
         .allowed = "write edit apply_patch exec process code_execution web_search web_fetch "
                    "x_search memory_search memory_get sessions_yield browser canvas message "
                    "nodes update_plan image image_generate music_generate video_generate tts "
                    "sessions_send",
         .checks = {{"read", false, "subagent", "tools.subagents.tools.deny", "read", NULL}}},
        {.name = "not a sub-agent session: no sub-agent step",
         .config = "{tools:{subagents:{tools:{deny:['read']}}}}",
         .sandboxed = false,
         .allowed = ALL},

        /* ---- spec 3.6 step 4: owner-only ---------------------------------------------------- */
        {.name = "owner-only tools are removed for non-owners",
         .config = "{}",
         .sandboxed = false,
         .not_owner = true,
         .allowed = "read write edit apply_patch exec process code_execution web_search "
                    "web_fetch x_search memory_search memory_get sessions_list sessions_history "
                    "sessions_send sessions_spawn sessions_yield subagents session_status "
                    "browser canvas message agents_list update_plan image image_generate "
                    "music_generate video_generate tts",
         .checks = {{"cron", false, "owner", NULL, "cron",
                     "denied: owner-only tool and the caller is not an owner"}},
         .names = {{"whatsapp_login", false}}},
        {.name = "owners keep them",
         .config = "{}",
         .sandboxed = false,
         .allowed = ALL,
         .names = {{"whatsapp_login", true}, {"some_plugin_tool", true}}},

        /* ---- spec 3.9: unknown entries --------------------------------------------------------
         */
        {.name = "unknown allowlist entries are warned once per list",
         .config = "{tools:{allow:['read','nope','NOPE','exce']},agents:{list:[{id:'a',tools:{"
                   "allow:['nope2']}}]}}",
         .sandboxed = false,
         .allowed = "",
         .warnings = {"tools: tools.allow allowlist contains unknown entries (nope, exce). "
                      "These entries",
                      "tools: agents.a.tools.allow allowlist contains unknown entries (nope2). "
                      "Allowlist contains only plugin entries"}},
        {.name = "deny lists and the sandbox step do not warn",
         .config = "{agents:{defaults:{sandbox:{mode:'all'}}},tools:{deny:['bogus'],sandbox:{tools:"
                   "{allow:['bogus2','read']}}}}",
         .sandboxed = AUTO,
         .allowed = "read image"},
};

static const char *fake_env(const char *name, void *userdata)
{
        return strcmp(name, "HOME") == 0 ? "/home/tester" : NULL;
}

static PcConfig *load(const char *text)
{
        PcConfigLoadOptions opts = {.env = fake_env, .state_dir = "/state"};
        _cleanup_diags_ PcDiags diags = PC_DIAGS_INIT;
        _cleanup_free_ char *file = NULL;
        _cleanup_free_ char *path = NULL;
        size_t len = strlen(text);
        const char *name = "/etc/test.json5";
        if (text[0] == '@') {
                path = xasprintf("%s/%s", test_source_dir(), text + 1);
                file = test_read_file(path, &len);
                if (!file)
                        fail_msg("cannot read %s", path);
                text = file;
                name = path;
        }
        PcConfig *cfg = NULL;
        PcError err = PC_ERROR_INIT;
        if (pc_config_load_buffer(text, len, name, &opts, &diags, &cfg, &err) < 0) {
                _cleanup_buf_ PcBuf t = PC_BUF_INIT;
                pc_diags_format_text(&diags, &t);
                fail_msg("config did not load: %s\n%s", err.msg, t.buf);
        }
        return cfg;
}

static PcPolicyResult *evaluate(PcConfig *cfg, const Case *c)
{
        const PcAgent *agent =
                c->agent ? pc_config_find_agent(cfg, c->agent) : pc_config_default_agent(cfg);
        if (!agent)
                fail_msg("%s: no agent '%s'", c->name, c->agent);
        _cleanup_free_ char *session = pc_policy_session_key_resolve(cfg, agent, c->session);
        PcPolicyContext ctx = PC_POLICY_CONTEXT_INIT;
        ctx.agent = agent;
        ctx.session_key = session;
        ctx.sandboxed = c->sandboxed == AUTO ? pc_policy_session_sandboxed(cfg, agent, session)
                                             : c->sandboxed;
        ctx.provider = c->provider;
        ctx.model = c->model;
        ctx.owner = !c->not_owner;
        PcPolicyResult *r = NULL;
        PcError err = PC_ERROR_INIT;
        assert_int_equal(pc_policy_evaluate(cfg, &ctx, &r, &err), 0);
        return r;
}

static bool in_list(const char *list, const char *name)
{
        size_t n = strlen(name);
        for (const char *p = list; (p = strstr(p, name)); p += n)
                if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
                        return true;
        return false;
}

static void check_allowed_set(const Case *c, const PcPolicyResult *r)
{
        _cleanup_buf_ PcBuf got = PC_BUF_INIT, diff = PC_BUF_INIT;
        for (size_t i = 0; i < r->n_tools; i++) {
                const PcToolVerdict *v = &r->tools[i];
                if (v->allowed)
                        pc_buf_addf(&got, "%s%s", got.len ? " " : "", v->name);
                if (v->allowed != in_list(c->allowed, v->name))
                        pc_buf_addf(&diff, "\n  %s: got %s (%s)", v->name,
                                    v->allowed ? "allowed" : "denied", v->rule);
        }
        /* Every expected name must be a catalog tool (catches typos in the table). */
        _cleanup_free_ char *copy = xstrdup(c->allowed);
        char *save = NULL;
        for (char *t = strtok_r(copy, " ", &save); t; t = strtok_r(NULL, " ", &save))
                if (!pc_tool_find(t))
                        pc_buf_addf(&diff, "\n  %s: not a catalog tool", t);
        if (diff.len)
                fail_msg("%s: allowed set differs:%s\n  allowed: %s", c->name, diff.buf, got.buf);
}

static void check_verdict(const Case *c, const PcPolicyResult *r, const Check *k)
{
        const PcToolVerdict *v = pc_policy_verdict(r, k->tool);
        if (!v)
                fail_msg("%s: no verdict for %s", c->name, k->tool);
        const char *step = pc_policy_step_to_string(v->step);
        if (v->allowed != k->allowed || !streq_ptr(step, k->step) || !streq_ptr(v->key, k->key) ||
            !streq_ptr(v->entry, k->entry) || (k->rule && !strstr(v->rule, k->rule)))
                fail_msg("%s: %s: got %s step=%s key=%s entry=%s rule=%s", c->name, k->tool,
                         v->allowed ? "allowed" : "denied", step ? step : "(none)",
                         v->key ? v->key : "(none)", v->entry ? v->entry : "(none)", v->rule);
}

static void run_case(void **state)
{
        const Case *c = *state;
        PcConfig *cfg = load(c->config);
        PcPolicyResult *r = evaluate(cfg, c);

        if (c->allowed)
                check_allowed_set(c, r);
        for (const Check *k = c->checks; k < c->checks + ELEMENTSOF(c->checks) && k->tool; k++)
                check_verdict(c, r, k);
        for (const Name *n = c->names; n < c->names + ELEMENTSOF(c->names) && n->name; n++)
                if (pc_policy_check(r, n->name) != n->allowed)
                        fail_msg("%s: pc_policy_check(%s) should be %s", c->name, n->name,
                                 n->allowed ? "true" : "false");

        size_t want = 0;
        while (want < ELEMENTSOF(c->warnings) && c->warnings[want])
                want++;
        _cleanup_buf_ PcBuf got = PC_BUF_INIT;
        pc_diags_format_text(&r->warnings, &got);
        if (r->warnings.n != want)
                fail_msg("%s: expected %zu warnings, got:\n%s", c->name, want, got.buf);
        for (size_t i = 0; i < want; i++)
                if (!strstr(r->warnings.items[i].message, c->warnings[i]))
                        fail_msg("%s: warning %zu is\n%s\nexpected\n%s", c->name, i,
                                 r->warnings.items[i].message, c->warnings[i]);
        pc_policy_result_free(r);
        pc_config_unref(cfg);
}

/* ---- the catalog ------------------------------------------------------------------------- */

static void test_catalog(void **state)
{
        size_t n;
        const PcTool *cat = pc_tool_catalog(&n);
        assert_int_equal(n, 32);
        assert_string_equal(cat[0].name, "read");
        assert_null(pc_tool_find("bash"));
        assert_true(pc_tool_find("cron")->owner_only);
        assert_true(pc_tool_name_is_owner_only("whatsapp_login"));
        assert_false(pc_tool_name_is_owner_only("read"));
        assert_int_equal(pc_tool_profile_from_string("coding"), PC_TOOL_PROFILE_CODING);
        assert_int_equal(pc_tool_profile_from_string("bogus"), _PC_TOOL_PROFILE_INVALID);
        assert_true(pc_tool_group_is_known("group:openclaw"));
        assert_false(pc_tool_group_is_known("group:plugins"));

        /* Group membership (spec 3.2). */
        static const struct {
                const char *group, *members;
        } groups[] = {
                {"group:fs", "read write edit apply_patch"},
                {"group:runtime", "exec process code_execution"},
                {"group:web", "web_search web_fetch x_search"},
                {"group:memory", "memory_search memory_get"},
                {"group:sessions", "sessions_list sessions_history sessions_send sessions_spawn "
                                   "sessions_yield subagents session_status"},
                {"group:ui", "browser canvas"},
                {"group:messaging", "message"},
                {"group:automation", "cron gateway"},
                {"group:nodes", "nodes"},
                {"group:agents", "agents_list update_plan"},
                {"group:media", "image image_generate music_generate video_generate tts"},
        };
        for (size_t g = 0; g < ELEMENTSOF(groups); g++)
                for (size_t i = 0; i < n; i++)
                        if (pc_tool_group_contains(groups[g].group, &cat[i]) !=
                            in_list(groups[g].members, cat[i].name))
                                fail_msg("%s and %s", groups[g].group, cat[i].name);
        for (size_t i = 0; i < n; i++)
                assert_int_equal(pc_tool_group_contains("group:openclaw", &cat[i]),
                                 !in_list("read write edit apply_patch exec process", cat[i].name));
}

static void test_patterns(void **state)
{
        static const struct {
                const char *pattern, *name;
                bool match;
        } globs[] = {
                {"*", "", true},           {"*", "exec", true},
                {"e*", "exec", true},      {"*c", "exec", true},
                {"e*c", "exec", true},     {"e*x*c", "exec", true},
                {"x*", "exec", false},     {"ex", "exec", false},
                {"*a*a*", "banana", true}, {"*a*a*a*a", "banana", false},
                {"a.c", "abc", false},     {"a?c", "abc", false},
                {"**", "x", true},         {"web_*", "web_fetch", true},
        };
        for (size_t i = 0; i < ELEMENTSOF(globs); i++)
                if (pc_glob_match(globs[i].pattern, globs[i].name) != globs[i].match)
                        fail_msg("glob '%s' vs '%s'", globs[i].pattern, globs[i].name);

        static const char *const norms[][2] = {
                {"Bash", "exec"}, {" apply-patch\t", "apply_patch"},
                {"READ", "read"}, {"bash2", "bash2"},
                {"", ""},
        };
        for (size_t i = 0; i < ELEMENTSOF(norms); i++) {
                _cleanup_free_ char *n = pc_tool_name_normalize(norms[i][0]);
                assert_string_equal(n, norms[i][1]);
        }

        assert_true(pc_tool_entry_is_known("group:fs"));
        assert_true(pc_tool_entry_is_known("memory_*"));
        assert_true(pc_tool_entry_is_known("bash"));
        assert_true(pc_tool_entry_is_known(""));
        assert_false(pc_tool_entry_is_known("slack"));
        assert_false(pc_tool_entry_is_known("zz*"));
        assert_false(pc_tool_entry_is_known("group:plugins"));

        _cleanup_(pc_pattern_list_clear) PcPatternList l = PC_PATTERN_LIST_INIT;
        pc_pattern_list_add(&l, "group:ui", "k", 0, NULL);
        pc_pattern_list_add(&l, "", "k", 0, NULL);
        assert_int_equal(l.n, 2);
        assert_string_equal(pc_pattern_list_match(&l, "canvas")->entry, "group:ui");
        assert_null(pc_pattern_list_match(&l, "group:ui"));
}

/* ---- sessions (spec 1.3, 5.3) ------------------------------------------------------------ */

static void test_sessions(void **state)
{
        PcConfig *cfg = load("{agents:{defaults:{sandbox:{mode:'non-main'}},list:[{id:'main',"
                             "default:true},{id:'all',sandbox:{mode:'all'}},{id:'off',sandbox:{"
                             "mode:'off'}}]}}");
        const PcAgent *m = pc_config_find_agent(cfg, "main");
        const PcAgent *all = pc_config_find_agent(cfg, "all");
        const PcAgent *off = pc_config_find_agent(cfg, "off");

        static const char *const resolved[][2] = {
                {NULL, "agent:main:main"}, {"", "agent:main:main"}, {"main", "agent:main:main"},
                {"dm", "agent:main:dm"},   {"global", "global"},    {" agent:x:y ", "agent:x:y"},
        };
        for (size_t i = 0; i < ELEMENTSOF(resolved); i++) {
                _cleanup_free_ char *k = pc_policy_session_key_resolve(cfg, m, resolved[i][0]);
                assert_string_equal(k, resolved[i][1]);
        }

        assert_false(pc_policy_session_sandboxed(cfg, m, "agent:main:main"));
        assert_false(pc_policy_session_sandboxed(cfg, m, NULL));
        assert_false(pc_policy_session_sandboxed(cfg, m, "main"));
        assert_false(pc_policy_session_sandboxed(cfg, m, "AGENT:MAIN:MAIN"));
        assert_false(pc_policy_session_sandboxed(cfg, m, "agent:main:main "));
        assert_true(pc_policy_session_sandboxed(cfg, m, "agent:main:whatsapp:group:1"));
        assert_true(pc_policy_session_sandboxed(cfg, m, "agent:main:subagent:1"));
        assert_false(pc_policy_session_sandboxed(cfg, m, "  "));
        assert_true(pc_policy_session_sandboxed(cfg, all, "agent:all:main"));
        assert_false(pc_policy_session_sandboxed(cfg, all, ""));
        assert_false(pc_policy_session_sandboxed(cfg, off, "agent:off:discord:channel:9"));

        _cleanup_free_ char *id = pc_policy_session_agent_id("agent:Family:whatsapp:group:1");
        assert_string_equal(id, "family");
        assert_null(pc_policy_session_agent_id("global"));
        assert_null(pc_policy_session_agent_id("agent::x"));
        assert_int_equal(pc_policy_session_subagent_depth("agent:main:main"), 0);
        assert_int_equal(pc_policy_session_subagent_depth("agent:main:subagent:a"), 1);
        assert_int_equal(pc_policy_session_subagent_depth("agent:main:subagent:a:subagent:b"), 2);
        pc_config_unref(cfg);

        cfg = load("{session:{scope:'global'},agents:{defaults:{sandbox:{mode:'non-main'}}}}");
        m = pc_config_default_agent(cfg);
        _cleanup_free_ char *mk = pc_policy_session_main_key(cfg, m);
        assert_string_equal(mk, "global");
        assert_false(pc_policy_session_sandboxed(cfg, m, "global"));
        assert_false(pc_policy_session_sandboxed(cfg, m, "agent:main:main"));
        assert_true(pc_policy_session_sandboxed(cfg, m, "agent:main:telegram:group:5"));
        pc_config_unref(cfg);
}

/* ---- spec 3.10: elevated ------------------------------------------------------------------ */

typedef struct ElevatedCase {
        const char *config;
        const char *channel, *sender;
        PcElevatedLevel directive;
        bool allowed;
        PcElevatedLevel level;
        const char *gate, *key; /* the first failing gate */
} ElevatedCase;

static void test_elevated(void **state)
{
        static const ElevatedCase cases_el[] = {
                /* Pincer: off unless the config turns it on. */
                {"{}", "whatsapp", "+1555", 0, false, PC_ELEVATED_OFF, "enabled",
                 "tools.elevated.enabled"},
                {"{tools:{elevated:{allowFrom:{whatsapp:['*']}}}}", "whatsapp", "+1555", 0, false,
                 PC_ELEVATED_OFF, "enabled", "tools.elevated.enabled"},
                {"{tools:{elevated:{enabled:true,allowFrom:{whatsapp:['+1555']}}}}", "whatsapp",
                 "+1555", 0, true, PC_ELEVATED_ON, NULL, NULL},
                {"{tools:{elevated:{enabled:true,allowFrom:{whatsapp:['e164:+1555']}}}}",
                 "WhatsApp", "+1555", 0, true, PC_ELEVATED_ON, NULL, NULL},
                {"{tools:{elevated:{enabled:true,allowFrom:{whatsapp:['+1555']}}}}", "whatsapp",
                 "+1666", 0, false, PC_ELEVATED_OFF, "allowFrom",
                 "tools.elevated.allowFrom.whatsapp"},
                {"{tools:{elevated:{enabled:true,allowFrom:{whatsapp:['+1555']}}}}", "telegram",
                 "+1555", 0, false, PC_ELEVATED_OFF, "allowFrom",
                 "tools.elevated.allowFrom.telegram"},
                {"{tools:{elevated:{enabled:true,allowFrom:{whatsapp:['*']}}}}", NULL, "+1555", 0,
                 false, PC_ELEVATED_OFF, "channel", NULL},
                {"{tools:{elevated:{enabled:true,allowFrom:{discord:[1234]}}}}", "discord", "1234",
                 0, true, PC_ELEVATED_ON, NULL, NULL},
                {"{tools:{elevated:{enabled:true,allowFrom:{whatsapp:['*']}}},agents:{defaults:{"
                 "elevatedDefault:'ask'}}}",
                 "whatsapp", "x", 0, true, PC_ELEVATED_ASK, NULL, NULL},
                {"{tools:{elevated:{enabled:true,allowFrom:{whatsapp:['*']}}}}", "whatsapp", "x",
                 PC_ELEVATED_FULL, true, PC_ELEVATED_FULL, NULL, NULL},
                {"{tools:{elevated:{enabled:true,allowFrom:{whatsapp:['*']}}},agents:{list:[{id:"
                 "'a',tools:{elevated:{enabled:false}}}]}}",
                 "whatsapp", "x", 0, false, PC_ELEVATED_OFF, "enabled",
                 "agents.list[0].tools.elevated.enabled"},
                {"{tools:{elevated:{enabled:true,allowFrom:{whatsapp:['*']}}},agents:{list:[{id:"
                 "'a',tools:{elevated:{allowFrom:{whatsapp:['+1777']}}}}]}}",
                 "whatsapp", "+1555", 0, false, PC_ELEVATED_OFF, "agentAllowFrom",
                 "agents.list[0].tools.elevated.allowFrom.whatsapp"},
                /* Elevated never overrides the tool policy. */
                {"{tools:{deny:['exec'],elevated:{enabled:true,allowFrom:{whatsapp:['*']}}}}",
                 "whatsapp", "x", 0, false, PC_ELEVATED_OFF, "exec", "tools.deny"},
        };
        for (size_t i = 0; i < ELEMENTSOF(cases_el); i++) {
                const ElevatedCase *e = &cases_el[i];
                PcConfig *cfg = load(e->config);
                PcPolicyContext ctx = PC_POLICY_CONTEXT_INIT;
                ctx.channel = e->channel;
                ctx.sender = e->sender;
                ctx.elevated_level = e->directive;
                PcPolicyResult *r = NULL;
                assert_int_equal(pc_policy_evaluate(cfg, &ctx, &r, NULL), 0);
                const PcElevated *el = &r->elevated;
                const PcElevatedGate *g = el->n_failures ? &el->failures[0] : NULL;
                if (el->allowed != e->allowed || el->level != e->level ||
                    !streq_ptr(g ? g->gate : NULL, e->gate) ||
                    !streq_ptr(g ? g->key : NULL, e->key))
                        fail_msg("case %zu (%s): allowed=%d level=%s gate=%s key=%s (%s)", i,
                                 e->config, el->allowed, pc_elevated_level_to_string(el->level),
                                 g ? g->gate : "-", g && g->key ? g->key : "-",
                                 g ? g->message : "");
                pc_policy_result_free(r);
                pc_config_unref(cfg);
        }
}

/* ---- spec 3.11: the blocked message ------------------------------------------------------- */

static char *blocked(const char *config, const char *agent, const char *session, const char *tool)
{
        PcConfig *cfg = load(config);
        const PcAgent *a = pc_config_find_agent(cfg, agent);
        assert_non_null(a);
        PcPolicyContext ctx = PC_POLICY_CONTEXT_INIT;
        ctx.agent = a;
        ctx.session_key = session;
        ctx.sandboxed = pc_policy_session_sandboxed(cfg, a, session);
        PcPolicyResult *r = NULL;
        assert_int_equal(pc_policy_evaluate(cfg, &ctx, &r, NULL), 0);
        PcBuf b = PC_BUF_INIT;
        bool ok = pc_policy_format_blocked(r, tool, &b);
        pc_policy_result_free(r);
        pc_config_unref(cfg);
        if (!ok) {
                assert_int_equal(b.len, 0);
                pc_buf_release(&b);
                return NULL;
        }
        return pc_buf_detach(&b);
}

static void test_blocked_message(void **state)
{
        _cleanup_free_ char *m =
                blocked("@examples/multi-agent-family.json5", "family",
                        "agent:family:whatsapp:group:120363424282127706@g.us", "Browser");
        assert_non_null(m);
        assert_string_equal(
                m, "Tool \"browser\" blocked by sandbox tool policy (mode=all).\n"
                   "Session: agent:\xe2\x80\xa6"
                   "6@g.us\n"
                   "Reason: deny list + allow list\n"
                   "Fix:\n"
                   "- agents.defaults.sandbox.mode=off (disable sandbox)\n"
                   "- Remove \"browser\" from tools.sandbox.tools.deny.\n"
                   "- Add \"browser\" to tools.sandbox.tools.allow (or set it to [] to allow "
                   "all).\n"
                   "- See: pincer tools list --agent family --session "
                   "'agent:family:whatsapp:group:120363424282127706@g.us'\n");

        /* Not blocked by the sandbox step (read), and not sandboxed at all (main). */
        assert_null(blocked("@examples/multi-agent-family.json5", "family", "agent:family:main",
                            "read"));
        assert_null(
                blocked("@examples/multi-agent-family.json5", "main", "agent:main:x", "browser"));

        static const char nonmain[] =
                "{agents:{defaults:{sandbox:{mode:'non-main'}},list:[{id:'main',default:true,tools:"
                "{sandbox:{tools:{deny:['web_fetch']}}}}]}}";
        _cleanup_free_ char *n = blocked(nonmain, "main", "dm:it's", "web_fetch");
        assert_non_null(n);
        assert_non_null(strstr(n, "Session: (redacted)\n"));
        assert_non_null(strstr(n, "Reason: deny list + allow list\n"));
        assert_non_null(strstr(
                n, "- Remove \"web_fetch\" from agents.list[0].tools.sandbox.tools.deny.\n"));
        assert_non_null(strstr(n, "- Use the agent main session instead of a non-main session.\n"));
        assert_non_null(strstr(n, "--session 'dm:it'\\''s'\n"));

        _cleanup_free_ char *a = blocked(nonmain, "main", "agent:main:telegram:group:7", "canvas");
        assert_non_null(a);
        assert_non_null(strstr(a, "Reason: allow list\n"));
        assert_null(strstr(a, "- Remove"));
}

/* ---- the result: steps, explain, non-catalog names ---------------------------------------- */

static void test_result(void **state)
{
        PcConfig *cfg = load("@examples/multi-agent-family.json5");
        PcPolicyContext ctx = PC_POLICY_CONTEXT_INIT;
        ctx.agent = pc_config_find_agent(cfg, "family");
        ctx.sandboxed = true;
        PcPolicyResult *r = NULL;
        assert_int_equal(pc_policy_evaluate(cfg, &ctx, &r, NULL), 0);
        assert_string_equal(r->agent_id, "family");
        assert_string_equal(r->session_key, "agent:family:main");
        assert_string_equal(r->main_session_key, "agent:family:main");
        assert_string_equal(r->sandbox_mode, "all");
        assert_int_equal(r->n_tools, 32);
        assert_int_equal(r->n_allowed, 1);
        assert_true(r->steps[PC_POLICY_STEP_AGENT].applies);
        assert_false(r->steps[PC_POLICY_STEP_PROFILE].applies);
        assert_false(r->steps[PC_POLICY_STEP_GROUP].applies);
        assert_true(r->steps[PC_POLICY_STEP_SANDBOX].applies);
        assert_false(r->steps[PC_POLICY_STEP_SUBAGENT].applies);
        assert_string_equal(pc_policy_verdict(r, "bash")->name, "exec");
        assert_null(pc_policy_verdict(r, "slack"));

        PcToolVerdict v;
        pc_policy_explain(r, "Slack", &v);
        assert_string_equal(v.name, "slack");
        assert_false(v.allowed);
        assert_int_equal(v.step, PC_POLICY_STEP_AGENT);
        pc_tool_verdict_release(&v);
        pc_policy_result_free(r);

        /* An agent of another config is refused. */
        PcConfig *other = load("{}");
        ctx.agent = pc_config_default_agent(other);
        PcError err = PC_ERROR_INIT;
        assert_int_equal(pc_policy_evaluate(cfg, &ctx, &r, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "agent"));
        pc_config_unref(other);
        pc_config_unref(cfg);
}

int main(void)
{
        static struct CMUnitTest tests[ELEMENTSOF(cases) + 6];
        size_t n = 0;
        tests[n++] = (struct CMUnitTest){.name = "catalog", .test_func = test_catalog};
        tests[n++] = (struct CMUnitTest){.name = "patterns", .test_func = test_patterns};
        tests[n++] = (struct CMUnitTest){.name = "sessions", .test_func = test_sessions};
        tests[n++] = (struct CMUnitTest){.name = "elevated", .test_func = test_elevated};
        tests[n++] =
                (struct CMUnitTest){.name = "blocked message", .test_func = test_blocked_message};
        tests[n++] = (struct CMUnitTest){.name = "result", .test_func = test_result};
        for (size_t i = 0; i < ELEMENTSOF(cases); i++)
                tests[n++] = (struct CMUnitTest){
                        .name = cases[i].name,
                        .test_func = run_case,
                        .initial_state = (void *) &cases[i],
                };
        return _cmocka_run_group_tests("policy", tests, n, NULL, NULL);
}
