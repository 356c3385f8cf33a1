// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The registry of proxy hook tables, and which of them a listener attaches. */
#include <errno.h>

#include "l7/hooks.h"

const struct proxy_hooks *proxy_hooks[PROXY_HOOKS_MAX];
unsigned int proxy_n_hooks;

int proxy_hooks_register(const struct proxy_hooks *h, unsigned int *slot)
{
	for (unsigned int i = 0; i < proxy_n_hooks; i++)
		if (proxy_hooks[i] == h) {
			*slot = i;   /* a harness that sets up more than once */
			return 0;
		}
	if (proxy_n_hooks == PROXY_HOOKS_MAX)
		return -ENOSPC;
	*slot = proxy_n_hooks;
	proxy_hooks[proxy_n_hooks++] = h;
	return 0;
}

uint8_t proxy_hooks_attach(const struct cfg_listener *l)
{
	uint8_t mask = 0;

	for (unsigned int i = 0; i < proxy_n_hooks; i++)
		if (proxy_hooks[i]->attach && proxy_hooks[i]->attach(l))
			mask |= (uint8_t)(1u << i);
	return mask;
}
