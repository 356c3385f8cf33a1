// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* sluicectl -c CONFIG and --token-file: the admin section read from sluiced's config, tokens read and checked. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../tap.h"
#include "../../tools/sluicectl/conf.c"

/* put() - @len bytes of @text in a fresh temporary file; its path in @path. */
static void put(char *path, const char *text, size_t len)
{
	int fd;

	strcpy(path, "/tmp/sluicectl-conf.XXXXXX");
	fd = mkstemp(path);
	if (fd < 0 || write(fd, text, len) != (ssize_t)len)
		perror("put");
	close(fd);
}

int main(void)
{
	struct ctl_conf c;
	char path[64], err[256], *t;
	static const char full[] = "workers: 1\nadmin:\n  listen: 127.0.0.1:9911\n  token_file: /etc/sluice/admin.token\n"
				   "l7:\n  listeners: []\n";

	put(path, full, sizeof(full) - 1);
	ok(!ctl_conf_read(path, &c, err, sizeof(err)) && c.listen && !strcmp(c.listen, "127.0.0.1:9911") &&
	   c.token_file && !strcmp(c.token_file, "/etc/sluice/admin.token"), "admin.listen and admin.token_file");
	free(c.listen);
	free(c.token_file);
	unlink(path);
	put(path, "admin: unix:/run/sluice/admin.sock\n", 35);
	ok(!ctl_conf_read(path, &c, err, sizeof(err)) && c.listen && !strcmp(c.listen, "unix:/run/sluice/admin.sock") &&
	   !c.token_file, "admin: ADDRESS shorthand, no token file");
	free(c.listen);
	unlink(path);
	put(path, "", 0);
	ok(!ctl_conf_read(path, &c, err, sizeof(err)) && !c.listen && !c.token_file, "empty file: nothing set");
	unlink(path);
	put(path, "admin: [\n", 9);
	ok(ctl_conf_read(path, &c, err, sizeof(err)) < 0 && strstr(err, ": YAML: "), "bad YAML: an error with file:line");
	unlink(path);
	ok(ctl_conf_read("/nonexistent/sluice.yaml", &c, err, sizeof(err)) < 0 && strstr(err, "No such file"),
	   "missing config: the reason");

	put(path, "0123456789abcdef0123\r\n", 22);
	t = ctl_token_read(path, err, sizeof(err));
	ok(t && !strcmp(t, "0123456789abcdef0123"), "token: its line, CRLF dropped");
	free(t);
	unlink(path);
	put(path, "two words\n", 10);
	ok(!ctl_token_read(path, err, sizeof(err)) && strstr(err, "not a token"), "token with a space: refused");
	unlink(path);
	put(path, "\xff\xfe\x01garbage", 10);
	ok(!ctl_token_read(path, err, sizeof(err)) && strstr(err, "not a token"), "binary garbage: refused");
	unlink(path);
	put(path, "\n", 1);
	ok(!ctl_token_read(path, err, sizeof(err)) && strstr(err, "empty"), "empty token file: refused");
	unlink(path);
	ok(!ctl_token_read("/nonexistent/token", err, sizeof(err)) && strstr(err, "No such file"), "missing token file");
	return done_testing();
}
