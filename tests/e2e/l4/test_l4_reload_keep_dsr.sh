#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# L4, L2 DSR: connections open while a backend is added (SIGHUP) keep exchanging data to the end.
L4_FWD=dsr exec "$(dirname "$0")/test_l4_reload_keep_ipip.sh"
