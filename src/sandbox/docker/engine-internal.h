/* SPDX-License-Identifier: MIT */
/*
 * Internals of the Docker Engine client shared by engine.c, exec.c, the unit tests and the
 * fuzz target: the HTTP/1.1 response parser (http.c), the stream demultiplexer (mux.c) and the
 * connection helpers. Not for use outside src/sandbox/docker/.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "base/buf.h"
#include "base/error.h"
#include "engine.h"

/* ---- HTTP/1.1 response parser (http.c) ----------------------------------------------------- */

#define PC_HTTP_MAX_HEAD       (64 * 1024) /* status line + headers; again for trailers */
#define PC_HTTP_MAX_HEADERS    100
#define PC_HTTP_MAX_CHUNK_LINE 1024
#define PC_HTTP_MAX_INTERIM    8 /* 1xx replies (other than 101) skipped before giving up */

typedef enum PcHttpState {
        PC_HTTP_HEAD,        /* reading the status line and headers */
        PC_HTTP_BODY_LENGTH, /* Content-Length body */
        PC_HTTP_CHUNK_SIZE,  /* chunked: the size line */
        PC_HTTP_CHUNK_DATA,
        PC_HTTP_CHUNK_END,  /* the CRLF after a chunk's data */
        PC_HTTP_TRAILER,    /* after the last chunk, up to the empty line */
        PC_HTTP_BODY_CLOSE, /* no length: the body ends when the connection closes */
        PC_HTTP_DONE,
        PC_HTTP_UPGRADED, /* 101: what follows the head is the upgraded stream */
} PcHttpState;

typedef struct PcHttpHeader {
        const char *name;  /* points into the parser's head buffer, NUL-terminated */
        const char *value; /* trimmed of surrounding whitespace */
} PcHttpHeader;

/* Receives body bytes (de-chunked). Returns >= 0, or < 0 to abort parsing with that code. */
typedef int (*PcHttpBodyFn)(void *userdata, const char *data, size_t n);

/* An incremental response parser: feed it whatever the socket returned. Owned by its user;
 * pc_http_parser_release() frees the head buffer. */
typedef struct PcHttpParser {
        PcHttpState state;
        int status;
        PcBuf head;
        size_t line_start; /* offset of the line being read in head (or line[] when chunked) */
        unsigned interim;  /* 1xx replies skipped */
        PcHttpHeader headers[PC_HTTP_MAX_HEADERS];
        size_t n_headers;
        bool chunked;
        bool has_length;
        uint64_t remaining; /* of the Content-Length body or the current chunk */
        uint64_t body_len;  /* body bytes delivered so far */
        uint64_t max_body;  /* 0: unlimited */
        char line[PC_HTTP_MAX_CHUNK_LINE];
        size_t line_len;
        size_t trailer_len;
        PcHttpBodyFn on_body;
        void *userdata;
        char err[256]; /* why the last call failed */
} PcHttpParser;

void pc__http_parser_init(PcHttpParser *p, uint64_t max_body, PcHttpBodyFn on_body, void *userdata);
void pc__http_parser_release(PcHttpParser *p);

/* Feeds n bytes; *ret_consumed is how many were used. Returns 0 when more input is needed,
 * 1 when the reply is complete (or, for a 101, when its head is: data[*ret_consumed..] then
 * belongs to the upgraded stream), < 0 on a malformed reply (-EBADMSG), a broken limit
 * (-E2BIG) or a body callback's error; p->err says why (except for callback errors). Once
 * the parser has failed it must not be fed again. */
int pc__http_parser_feed(PcHttpParser *p, const char *data, size_t n, size_t *ret_consumed);
/* The peer closed the connection: 1 when that completes the reply (a close-delimited body),
 * -EBADMSG when the reply was cut short. */
int pc__http_parser_eof(PcHttpParser *p);
/* The value of the first header called name (case-insensitive), or NULL. */
const char *pc__http_parser_header(const PcHttpParser *p, const char *name);

/* ---- Stream demultiplexer (mux.c) -------------------------------------------------------- */

/* Docker's multiplexed stream: frames of an 8-byte header {type, 0, 0, 0, size as big-endian
 * uint32} and size bytes of payload. Type 0 (stdin, echoed) and 1 go to stdout, 2 to stderr,
 * 3 (systemerr, newer engines) is kept apart: the engine's own error text. */
typedef struct PcMux {
        unsigned char hdr[8];
        size_t hdr_len;
        uint32_t remaining; /* of the current frame's payload */
        int stream;         /* 0 stdout, 1 stderr, 2 systemerr */
        PcBuf *out[2];      /* borrowed */
        size_t cap;
        bool truncated[2];
        uint64_t total[2];
        PcBuf syserr; /* owned, at most PC_MUX_MAX_SYSERR bytes */
        char err[128];
        /* set: stdout/stderr go here (stream 1/2) instead of out[] */
        void (*on_output)(void *userdata, int stream, const char *data, size_t len);
        void *userdata;
} PcMux;

#define PC_MUX_MAX_SYSERR 4096

void pc__mux_init(PcMux *m, PcBuf *out, PcBuf *err, size_t cap);
void pc__mux_release(PcMux *m);
/* Returns 0, or -EBADMSG on a malformed frame header (m->err says why). */
int pc__mux_feed(PcMux *m, const char *data, size_t n);
/* The stream ended: -EBADMSG when it ended inside a frame. */
int pc__mux_finish(PcMux *m);

/* ---- Connections (engine.c) -------------------------------------------------------------- */

typedef enum PcEngineTransport {
        PC_ENGINE_UNIX,
        PC_ENGINE_TCP,
} PcEngineTransport;

/* A parsed DOCKER_HOST. */
typedef struct PcEngineAddr {
        PcEngineTransport transport;
        char path[108]; /* unix */
        char host[256]; /* tcp: name or address, without brackets */
        char port[8];
} PcEngineAddr;

/* Parses "unix:///path" or "tcp://host[:port]" (also "tcp://[v6]:port"); -EINVAL with a
 * message otherwise. */
int pc__engine_parse_host(const char *s, PcEngineAddr *ret, PcError *reterr);

int64_t pc__now_ms(void);
/* Milliseconds left until deadline (0 when past), for poll(). */
int pc__remaining_ms(int64_t deadline);
/* Polls fd for events until deadline: the revents, or -ETIMEDOUT. */
int pc__wait_fd(int fd, short events, int64_t deadline);
/* Sends everything (MSG_NOSIGNAL) before deadline; -errno or -ETIMEDOUT. */
int pc__write_all(int fd, const char *p, size_t n, int64_t deadline);

/* Connects (O_CLOEXEC, non-blocking) before deadline; returns the fd. Failures are
 * PC_ERROR_UNAVAILABLE "Docker engine unavailable at <addr>: ..." (PERMISSION_DENIED for
 * EACCES). */
int pc__engine_connect(PcEngine *e, int64_t deadline, PcError *reterr);
/* Builds and sends a request; extra_headers ("Name: value\r\n"...) may be NULL, in which case
 * "Connection: close" is sent. path is unversioned; the API version prefix is added. */
int pc__engine_send(PcEngine *e, int fd, const char *method, const char *path, json_t *body,
                    const char *extra_headers, int64_t deadline, PcError *reterr);
/* Reads fd into the parser until the reply is complete (1) or failed (< 0: -ETIMEDOUT, a
 * socket error, or the parser's error with p->err). */
int pc__engine_recv(int fd, PcHttpParser *p, int64_t deadline);
/* Turns a failure of pc__engine_recv() or of writing into a PcError; returns r. */
int pc__engine_io_error(PcEngine *e, const char *method, const char *path, int r,
                        const PcHttpParser *p, PcError *reterr);
/* Maps a non-2xx reply to an error carrying the engine's message; returns the code. */
int pc__engine_status_error(const char *method, const char *path, int status, const char *body,
                            size_t body_len, PcError *reterr);
/* -EBADMSG (INTERNAL) unless r->json has the given type. */
int pc__engine_expect(PcEngine *e, const char *method, const char *path, const PcEngineResponse *r,
                      json_type type, PcError *reterr);
/* The request deadline: now + the engine's timeout. */
int64_t pc__engine_deadline(const PcEngine *e);
/* Like pc_engine_request() but with an explicit deadline. */
int pc__engine_request_until(PcEngine *e, const char *method, const char *path, json_t *body,
                             int64_t deadline, PcEngineResponse *ret, PcError *reterr);

/* -EINVAL (INVALID_ARGUMENT) "invalid <what> '<s, escaped>'". */
int pc__engine_invalid_name(const char *what, const char *s, PcError *reterr);
/* Appends s to b percent-encoded for a query value (everything but [A-Za-z0-9._~-]). */
void pc__url_escape(PcBuf *b, const char *s);
/* Whether s may appear unescaped in a path: a container id or name, an exec id, or an image
 * reference ([A-Za-z0-9._/:@-], not starting with '/', '.' or '-', no ".."), 1..512 bytes. */
bool pc__engine_name_is_valid(const char *s);
