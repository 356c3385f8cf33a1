/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* sluicectl -c CONFIG: the admin section of sluiced's config, so the CLI finds the API and its token the daemon's way. */
#ifndef SLUICECTL_CONF_H
#define SLUICECTL_CONF_H

#include <stddef.h>

struct ctl_conf {
	char *listen;        /* admin.listen (or admin: ADDRESS), NULL when not written */
	char *token_file;    /* admin.token_file, NULL when not written */
};

/*
 * ctl_conf_read() - read admin.listen and admin.token_file from the YAML
 * file @path into @out (strings malloc'd). Only the admin section is looked
 * at: checking the whole file is sluiced -t's job. Returns 0, or -errno with
 * a reason for the operator in @err.
 */
int ctl_conf_read(const char *path, struct ctl_conf *out, char *err, size_t errlen);

/*
 * ctl_token_read() - the token in @path: its first line, trailing whitespace
 * dropped; malloc'd. NULL with a reason in @err when the file cannot be read
 * or holds no usable token (empty, spaces or control bytes inside).
 */
char *ctl_token_read(const char *path, char *err, size_t errlen);

#endif
