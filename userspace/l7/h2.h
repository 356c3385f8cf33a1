/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * HTTP/2 for clients (nghttp2): a client connection that speaks h2 becomes a
 * session, and each of its streams a connection of its own that the HTTP/1.1
 * proxy serves like any client (docs/http2.md).
 */
#ifndef SLUICE_L7_H2_H
#define SLUICE_L7_H2_H

#include <stdbool.h>
#include <stdint.h>

struct worker;
struct conn;
struct loop_conn;

/* Why a session was closed with GOAWAY (metrics: sluice_http2_goaways_total{reason}). */
enum h2_goaway_reason {
	H2_GA_RAPID_RESET = 0, H2_GA_CONTINUATION, H2_GA_SETTINGS, H2_GA_PING, H2_GA_CONTROL, H2_GA_HEADER_LIST,
	H2_GA_STALLED, H2_GA_PROTOCOL, H2_GA_SHUTDOWN, H2_GA_IDLE, H2_GA_MAX
};
extern const char *const h2_goaway_names[H2_GA_MAX];

/* RST_STREAM by error code (RFC 9113 7: 0x0..0xd), and one for any other; [0] the client's, [1] ours. */
#define H2_RESET_CODES 15
extern const char *const h2_reset_names[H2_RESET_CODES];

/*
 * h2_detect() - client @c's first bytes are in: does it speak HTTP/2 (ALPN h2
 * on a TLS listener with http2 on, or the connection preface on a cleartext
 * one with http2 on)? 1: it became a session (its handlers are h2's now);
 * 0: HTTP/1.x; -1: too few bytes to tell yet.
 */
int h2_detect(struct worker *w, struct conn *c);

/* h2_is_stream() - is @c a stream of an HTTP/2 session? */
bool h2_is_stream(const struct conn *c);

/* h2_wire() - the connection @c's bytes travel on: its session's for a stream, else @c's own. */
struct loop_conn *h2_wire(struct conn *c);

#endif
