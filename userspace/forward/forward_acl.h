/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Forward proxy rules as pure functions: request targets, host patterns, client CIDRs, destination classes. */
#ifndef SLUICE_FORWARD_ACL_H
#define SLUICE_FORWARD_ACL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "config/config.h"

#define FWD_HOST_MAX 256

/* A request target on a forward listener, split. */
struct fwd_target {
	char host[FWD_HOST_MAX];     /* lower case, no brackets, no trailing dot */
	uint16_t port;
	bool literal;                /* host is an IP literal (parsed into addr) */
	struct sockaddr_storage addr;
	const char *path;            /* absolute-form: origin-form part inside the target ("/" if none) */
	size_t path_len;
};

/*
 * fwd_parse_target() - an absolute-form target ("http://host[:port][/path]")
 * or, with @connect, an authority-form one ("host:port").
 * Returns 0, -EBADMSG for anything else (origin-form, other schemes, userinfo,
 * bad port or host), -EPROTONOSUPPORT for "https://" in absolute form.
 */
int fwd_parse_target(const char *t, size_t len, bool connect, struct fwd_target *out);

/* fwd_host_match() - does @host (as fwd_parse_target leaves it) match @pattern: "*", "*.suffix" (subdomains only) or an exact name? */
bool fwd_host_match(const char *pattern, const char *host);

/*
 * fwd_hosts_check() - deny_hosts then allow_hosts for @host.
 * Returns NULL when allowed (@rule gets "allow_hosts:PATTERN"), else the refusal
 * reason ("deny_hosts" or "allow_hosts") with @rule set to "deny_hosts:PATTERN" or "allow_hosts".
 */
const char *fwd_hosts_check(const struct cfg_forward *f, const char *host, char *rule, size_t cap);

/* fwd_cidr_match() - is @sa (AF_INET or AF_INET6; v4-mapped v6 counts as v4) inside @c? */
bool fwd_cidr_match(const struct cfg_cidr *c, const struct sockaddr *sa);

/* fwd_client_allowed() - is @sa in allow_clients? */
bool fwd_client_allowed(const struct cfg_forward *f, const struct sockaddr *sa);

/* What a destination address is, for the SSRF rule. FWD_DEST_PUBLIC is the only class always allowed. */
enum fwd_dest {
	FWD_DEST_PUBLIC = 0,
	FWD_DEST_LOOPBACK,
	FWD_DEST_PRIVATE,        /* RFC 1918, 100.64/10 (CGNAT), fc00::/7 */
	FWD_DEST_LINK_LOCAL,     /* 169.254/16, fe80::/10 */
	FWD_DEST_UNSPECIFIED,    /* 0.0.0.0/8, :: */
	FWD_DEST_MULTICAST,      /* 224/4, ff00::/8, and 240/4 + broadcast (reserved) */
	FWD_DEST_OWN,            /* an address of this host's interfaces */
};

/* fwd_classify() - the class of @sa; v4-mapped and NAT64 (64:ff9b::/96) addresses are judged by their IPv4 part. */
enum fwd_dest fwd_classify(const struct sockaddr *sa);

/* fwd_dest_name() - "loopback", "private", ... for logs and 403 bodies. */
const char *fwd_dest_name(enum fwd_dest d);

/* fwd_same_ip() - do @a and @b hold the same address (ports ignored; v4-mapped equals v4)? */
bool fwd_same_ip(const struct sockaddr *a, const struct sockaddr *b);

#endif
