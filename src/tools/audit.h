/* SPDX-License-Identifier: MIT */
/*
 * The audit log: one JSON line per tool call that reaches the choke point, allowed or not,
 * in <state dir>/audit/audit.jsonl (mode 0600, directory 0700). Each line is written with one
 * write() on an O_APPEND descriptor, under a process-wide lock (concurrent tool calls never
 * interleave or tear lines), before the call returns. When the file passes
 * PC_AUDIT_ROTATE_BYTES it is renamed to audit.jsonl.1 (older ones shift up to
 * .PC_AUDIT_KEEP, the oldest dropped; the old file is synced first).
 *
 * Durability, two modes:
 *   default        fsync after every line, before pc_audit_append returns (the CLI).
 *   group commit   (pc_audit_group_commit_start; the gateway) the line is written before the
 *                  call returns, so a crash or kill of the process never loses it; a flusher
 *                  thread fdatasyncs as soon as lines are pending, batching those written
 *                  while a sync runs. A power loss or kernel crash can lose the lines of the
 *                  calls answered during the last sync or two (milliseconds on a healthy
 *                  disk; as long as the disk stalls otherwise). Stopping syncs what is left.
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

/* Switches this process to group commit (above). Idempotent. */
void pc_audit_group_commit_start(void);
/* Syncs what is pending, stops the flusher (back to fsync per line) and closes the file. */
void pc_audit_group_commit_stop(void);
