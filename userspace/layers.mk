# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# The layers of userspace/: one folder each, and what each may use. Read by the
# Makefile (a folder's archive links with these) and by tests/lint/test_layers.sh
# (a folder's #include lines may name only these folders). docs/architecture.md
# draws them. A lower layer reaches a higher one only through a table of function
# pointers the higher one registers (a connection's conn_ops, a proxy's hooks).
#
#   LAYER_<dir>    the folders <dir> may include and link against, lowest last
#   INTERNAL_<dir> folders besides <dir> that may include <dir>'s *_int.h headers
LAYERS := daemon admin forward cache l7 l4 health tls http loop config lib

LAYER_lib     :=
LAYER_config  := lib
LAYER_loop    := lib
LAYER_http    := lib
LAYER_tls     := loop config lib
LAYER_health  := config lib
LAYER_l4      := health config lib
LAYER_l7      := health tls http loop config lib
LAYER_cache   := l7 health tls http loop config lib
LAYER_forward := l7 health tls http loop config lib
LAYER_admin   := cache l7 l4 health tls http loop config lib
LAYER_daemon  := admin forward cache l7 l4 health tls http loop config lib

INTERNAL_l7   := cache forward
