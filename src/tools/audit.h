/* SPDX-License-Identifier: MIT */
/*
 * The audit log: one JSON line per tool call that reaches the choke point, allowed or not,
 * in <state dir>/audit/audit.jsonl (mode 0600, directory 0700). Each line is written with one
 * write() on an O_APPEND descriptor and fsynced before the call returns, so a crash loses at
 * most the call in flight and never tears a line. When the file passes PC_AUDIT_ROTATE_BYTES
 * it is renamed to audit.jsonl.1 (older ones shift up to .PC_AUDIT_KEEP, the oldest dropped).
 *
 * Records never hold argument values: only names, decisions, sizes and times, so secrets in
 * a command line or a file cannot reach the log. As a second line of defence every value
 * under a secret-looking key is redacted (base/redact.h) and every string is cut at
 * PC_AUDIT_MAX_STRING bytes (a tool name or session key is the caller's text).
 */
#pragma once

#include <jansson.h>

#include "base/error.h"

#define PC_AUDIT_ROTATE_BYTES (16u * 1024u * 1024u)
#define PC_AUDIT_KEEP         5
#define PC_AUDIT_MAX_STRING   256 /* longer string values are cut (with their size noted) */

/* Appends record (an object; "ts" is added) to <state_dir>/audit/audit.jsonl. */
int pc_audit_append(const char *state_dir, json_t *record, PcError *reterr);
