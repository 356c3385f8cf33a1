// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * libFuzzer target: arbitrary text as a config file (cfg_load_string: YAML,
 * every section's keys and validation). A bad config must end in error
 * messages, never in a crash, a leak or undefined behaviour. `make fuzz`.
 */
#include <stdint.h>
#include <stdio.h>
#include "config/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	FILE *errs = fopen("/dev/null", "w");
	struct cfg *c = cfg_load_string("fuzz.yaml", (const char *)d, n, errs);

	cfg_free(c);
	if (errs)
		fclose(errs);
	return 0;
}
