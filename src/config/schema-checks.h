/* SPDX-License-Identifier: MIT */
/*
 * Per-value checks used by the schema tables, beyond type, enum and range. Each reports
 * through pc_check_error()/pc_check_warning() at the value it is attached to. Rules that
 * look at several keys at once (container:* networks against the dangerous flag, list vs
 * entries, ...) live in the validator's cross-field pass, not here.
 */
#pragma once

#include "validate.h"

/* ---- sandbox ---- */
void pc_check_sandbox_backend(const PcCheck *c);  /* "native" | "docker"; names the others */
void pc_check_bind(const PcCheck *c);             /* binds[i]: "/host:/container[:opts]" */
void pc_check_network(const PcCheck *c);          /* docker.network: "host" refused */
void pc_check_browser_network(const PcCheck *c);  /* browser.network: "host" refused */
void pc_check_setup_network(const PcCheck *c);    /* docker.setupNetwork: host, container:* */
void pc_check_seccomp_profile(const PcCheck *c);  /* "unconfined" refused */
void pc_check_apparmor_profile(const PcCheck *c); /* "unconfined" refused */
void pc_check_container_user(const PcCheck *c);   /* name or uid, optionally ":group" */
void pc_check_memory(const PcCheck *c);           /* bytes, or "512m", "1g", "2GiB" */
void pc_check_memory_swap(const PcCheck *c);      /* same, or -1 / "-1" (unlimited) */
void pc_check_ulimits(const PcCheck *c);          /* the map: known ulimit names */
void pc_check_ulimit(const PcCheck *c);           /* one value: "soft:hard", n, {soft,hard} */
void pc_check_tmpfs(const PcCheck *c);            /* "/path[:options]" */
void pc_check_absolute_path(const PcCheck *c);    /* starts with '/' */
void pc_check_container_prefix(const PcCheck *c); /* characters Docker allows in names */
void pc_check_env_map(const PcCheck *c);          /* env keys: non-empty, no '=' */
void pc_check_capability(const PcCheck *c);       /* "ALL", "NET_ADMIN", "CAP_NET_ADMIN" */
void pc_check_apt_package(const PcCheck *c);      /* Debian package name[:arch][=version] */
void pc_check_ip_address(const PcCheck *c);       /* IPv4 or IPv6 address */
void pc_check_extra_host(const PcCheck *c);       /* "name:address" / "name=address" */
void pc_check_cidr(const PcCheck *c);             /* "addr[/prefix]" */
void pc_check_hostname(const PcCheck *c);         /* RFC 1123 host name, at most 64 chars */

/* ---- tools ---- */
void pc_check_tools_policy(const PcCheck *c);       /* global tools: allow + alsoAllow */
void pc_check_agent_tools_policy(const PcCheck *c); /* agents.*.tools: allow + alsoAllow */
void pc_check_provider_policy(const PcCheck *c);    /* byProvider.<id>: allow + alsoAllow */
void pc_check_tool_policy(const PcCheck *c);        /* sandbox.tools, subagents.tools */

/* ---- agents, bindings, gateway, session ---- */
void pc_check_agent_list_entry(const PcCheck *c); /* agents.list[]: id required */
void pc_check_agent_entries(const PcCheck *c);    /* agents.entries: keys are agent ids */
void pc_check_agent_map_entry(const PcCheck *c);  /* agents.entries.<id>: id matches key */
void pc_check_binding(const PcCheck *c);          /* route vs acp shape */
void pc_check_ipv4(const PcCheck *c);             /* gateway.customBindHost */
void pc_check_duration(const PcCheck *c);         /* "30d", "12h", "90m", "500ms", a number */
