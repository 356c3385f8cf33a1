# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Sluice build: BPF objects -> skeletons -> userspace, all under build/.
# Sources are found by pattern, so adding a file never needs an edit here:
#   bpf/*.bpf.c, tests/bpf/*.bpf.c, bench/*.bpf.c  -> build/<dir>/<name>.bpf.o + build/<dir>/<name>.skel.h
#   userspace/<layer>/*.c                           -> build/userspace/<layer>.a, one archive per layer
#                                                      (userspace/layers.mk); build/sluiced links them all
#                                                      (daemon/main.c holds main())
#   tools/sluicectl/*.c                             -> build/sluicectl
#   tests/unit/test_*.c                             -> build/tests/unit/test_* (+ an ASan/UBSan twin), linked
#                                                      with the archives of the layers it includes
#   tests/bpf/test_*.c (+ other tests/bpf/*.c)      -> build/tests/bpf/test_*
#   bench/*.c                                       -> build/bench/*
#   tests/lint/test_*.sh, tests/e2e/<group>/test_*.sh run as they are (groups: l4 l7 cache forward ctl bench;
#                                                      their shell and python helpers are in tests/e2e/lib/)

V ?= 0
ifeq ($(V),1)
Q :=
msg =
else
Q := @
msg = @printf '  %-9s %s\n' '$(1)' '$(2)';
endif

PREFIX  ?= /usr/local
DESTDIR ?=
BUILD   := build
CC      ?= gcc
CLANG   ?= clang
BPFTOOL ?= bpftool
LLHTTP_SRC ?= /usr/share/llhttp
LLHTTP_INC ?= /usr/share/include/llhttp
# Strict mode: the parser refuses what a lenient one would guess at (smuggling material).
LLHTTP_CFLAGS := -DLLHTTP_STRICT_MODE=1
ARCH_INC   := /usr/include/$(shell $(CC) -dumpmachine)

CFLAGS   ?= -O2 -g
WARN     := -Wall -Wextra -Werror
CPPFLAGS += -Iinclude -Iuserspace -I$(BUILD) -I$(LLHTTP_INC) -D_GNU_SOURCE
# A layer's struct embeds the one below as an anonymous member of its own type (struct conn holds a
# struct loop_conn, struct worker a struct loop: their fields keep their names), as the Linux kernel
# does since 6.19: -fms-extensions for both compilers, and clang's warning about it off (gcc ignores it).
CPPFLAGS += -fms-extensions -Wno-microsoft-anon-tag
DEPFLAGS  = -MMD -MP
LDLIBS   += -lxdp -lbpf -luring -lyaml -lcares -lcrypt -lnghttp2 -lssl -lcrypto -lelf -lz -lpthread -lm
SAN      := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
BPF_CFLAGS := -O2 -g -target bpf -D__TARGET_ARCH_x86 -I$(ARCH_INC) -Iinclude -Ibpf -Wall -Werror

BPF_SRCS  := $(wildcard bpf/*.bpf.c tests/bpf/*.bpf.c bench/*.bpf.c)
BPF_OBJS  := $(patsubst %.bpf.c,$(BUILD)/%.bpf.o,$(BPF_SRCS))
SKELS     := $(patsubst %.bpf.c,$(BUILD)/%.skel.h,$(BPF_SRCS))

LLHTTP_OBJS := $(patsubst $(LLHTTP_SRC)/%.c,$(BUILD)/llhttp/%.o,$(wildcard $(LLHTTP_SRC)/*.c))
include userspace/layers.mk
USR_SRCS  := $(wildcard userspace/*/*.c)
USR_OBJS  := $(patsubst %.c,$(BUILD)/%.o,$(USR_SRCS))
# One archive per layer (daemon/ is the binary's own objects); the HTTP layer carries llhttp.
ARCH_LAYERS := $(filter-out daemon,$(LAYERS))
layer_objs = $(patsubst %.c,$(1)/%.o,$(wildcard userspace/$(2)/*.c)) $(if $(filter http,$(2)),$(patsubst $(BUILD)/%,$(1)/%,$(LLHTTP_OBJS)))
# $(call layer_closure,LAYERS...): those layers and every layer below them.
layer_closure = $(sort $(1) $(if $(strip $(foreach x,$(1),$(LAYER_$(x)))),$(call layer_closure,$(foreach x,$(1),$(LAYER_$(x))))))
# $(call layer_libs,PREFIX,LAYERS...): their archives and those of every layer below, highest first.
layer_libs = $(foreach l,$(ARCH_LAYERS),$(if $(filter $(l),$(call layer_closure,$(2))),$(1)/userspace/$(l).a))
ALL_LIBS  := $(call layer_libs,$(BUILD),$(ARCH_LAYERS))
SAN_LIBS  := $(call layer_libs,$(BUILD)/san,$(ARCH_LAYERS))
DAEMON_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(wildcard userspace/daemon/*.c))
# The layers a test source includes ("l7/route.h" -> l7): it links their archives and no others.
src_layers = $(sort $(filter $(ARCH_LAYERS),$(shell sed -n 's,^\#include "\([a-z0-9]*\)/.*,\1,p' $(1) 2>/dev/null)))
# No link group: archives go highest layer first, so a layer that called up by name would fail to link.
CTL_SRCS  := $(wildcard tools/sluicectl/*.c)
CTL_OBJS  := $(patsubst %.c,$(BUILD)/%.o,$(CTL_SRCS))

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst %.c,$(BUILD)/%,$(UNIT_SRCS))
SAN_BINS  := $(patsubst %.c,$(BUILD)/san/%,$(UNIT_SRCS))
TBPF_ALL  := $(filter-out %.bpf.c,$(wildcard tests/bpf/*.c))
TBPF_SRCS := $(filter tests/bpf/test_%,$(TBPF_ALL))
TBPF_LIB  := $(patsubst %.c,$(BUILD)/%.o,$(filter-out $(TBPF_SRCS),$(TBPF_ALL)))
TBPF_BINS := $(patsubst %.c,$(BUILD)/%,$(TBPF_SRCS))
BENCH_SRCS := $(filter-out %.bpf.c,$(wildcard bench/*.c))
BENCH_BINS := $(patsubst %.c,$(BUILD)/%,$(BENCH_SRCS))
E2E_TESTS := $(wildcard tests/e2e/*/test_*.sh)
# The worker's fuzz targets (fuzz_proxy, fuzz_h2) replaying their corpora and reproducers under
# ASan+UBSan: TAP tests of check-unit.
FUZZ_WORKER := proxy h2
FUZZ_REPLAY := $(patsubst %,$(BUILD)/san/tests/fuzz/fuzz_%_replay,$(FUZZ_WORKER))

BINS := $(if $(USR_SRCS),$(BUILD)/sluiced) $(if $(CTL_SRCS),$(BUILD)/sluicectl)

.PHONY: all test check check-lint check-unit check-bpf check-e2e check-e2e-san bench demo deps clean install tests-build fuzz
.DELETE_ON_ERROR:

all: $(BPF_OBJS) $(SKELS) $(BINS) tests-build $(BENCH_BINS)

tests-build: $(UNIT_BINS) $(SAN_BINS) $(TBPF_BINS) $(FUZZ_REPLAY)

# BPF: object, then skeleton; every C object waits for all skeletons (order-only).
$(BUILD)/%.bpf.o: %.bpf.c
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) $(DEPFLAGS) -c $< -o $@

$(BUILD)/%.skel.h: $(BUILD)/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $(subst .bpf,,$(notdir $(basename $<))) > $@

$(BUILD)/llhttp/%.o: $(LLHTTP_SRC)/%.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(LLHTTP_CFLAGS) -I$(LLHTTP_INC) -w -c $< -o $@

$(BUILD)/san/llhttp/%.o: $(LLHTTP_SRC)/%.c
	$(call msg,CC-SAN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(SAN) $(LLHTTP_CFLAGS) -I$(LLHTTP_INC) -w -c $< -o $@

$(BUILD)/san/%.o: %.c | $(SKELS)
	$(call msg,CC-SAN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(SAN) $(WARN) $(DEPFLAGS) -c $< -o $@

$(BUILD)/%.o: %.c | $(SKELS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) $(DEPFLAGS) -c $< -o $@

$(BUILD)/sluiced: $(DAEMON_OBJS) $(ALL_LIBS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $(DAEMON_OBJS) $(ALL_LIBS) $(LDLIBS) -o $@

$(foreach l,$(ARCH_LAYERS),$(eval $(BUILD)/userspace/$(l).a: $(call layer_objs,$(BUILD),$(l))))
$(foreach l,$(ARCH_LAYERS),$(eval $(BUILD)/san/userspace/$(l).a: $(call layer_objs,$(BUILD)/san,$(l))))
%.a:
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/sluicectl: $(CTL_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@

$(foreach t,$(UNIT_SRCS),$(eval $(patsubst %.c,$(BUILD)/%,$(t)): $(call layer_libs,$(BUILD),$(call src_layers,$(t)))))
$(foreach t,$(UNIT_SRCS),$(eval $(patsubst %.c,$(BUILD)/san/%,$(t)): $(call layer_libs,$(BUILD)/san,$(call src_layers,$(t)))))
$(BUILD)/tests/unit/%: $(BUILD)/tests/unit/%.o
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $< $(filter %.a,$^) $(LDLIBS) -o $@

$(BUILD)/san/tests/unit/%: $(BUILD)/san/tests/unit/%.o
	$(call msg,LINK-SAN,$@)
	$(Q)$(CC) $(CFLAGS) $(SAN) $< $(filter %.a,$^) $(LDLIBS) -o $@

# BPF tests write VIPs through the control plane's own map writer (l4_maps.o).
$(BUILD)/tests/bpf/%: $(BUILD)/tests/bpf/%.o $(TBPF_LIB) $(call layer_libs,$(BUILD),l4)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $(filter %.o,$^) $(filter %.a,$^) $(LDLIBS) -o $@

$(BUILD)/bench/%: $(BUILD)/bench/%.o
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@

# Keep the intermediate objects so relinks stay cheap.
.SECONDARY:

deps:
	$(Q)tools/deps.sh

# `make test` first makes sure the Debian packages are there, then builds and proves.
test: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)$(MAKE) --no-print-directory check

PROVE := prove --timer -f
LINT_TESTS := $(wildcard tests/lint/test_*.sh)
check: check-lint check-unit check-bpf check-e2e
check-lint:
	$(if $(LINT_TESTS),$(Q)$(PROVE) $(LINT_TESTS))
check-unit: $(UNIT_BINS) $(SAN_BINS) $(FUZZ_REPLAY)
	$(if $^,$(Q)$(PROVE) $^)
check-bpf: $(TBPF_BINS)
	$(if $^,$(Q)$(PROVE) $^)
check-e2e: all
	$(if $(E2E_TESTS),$(Q)$(PROVE) $(E2E_TESTS))

# The e2e tests against a sluiced built with ASan+UBSan (not part of make test: about 4 more
# minutes). Sanitizer reports go to files under build/san-e2e/; any report fails the target.
$(BUILD)/san/sluiced: $(patsubst $(BUILD)/%,$(BUILD)/san/%,$(DAEMON_OBJS)) $(SAN_LIBS)
	$(call msg,LINK-SAN,$@)
	$(Q)$(CC) $(CFLAGS) $(SAN) $(filter %.o,$^) $(SAN_LIBS) $(LDLIBS) -o $@
SAN_E2E := $(BUILD)/san-e2e
check-e2e-san: all $(BUILD)/san/sluiced
	$(Q)rm -rf $(SAN_E2E) && mkdir -p $(SAN_E2E)
	$(Q)for f in bpf tests bench sluicectl; do ln -s ../$$f $(SAN_E2E)/$$f; done
	$(Q)ln -s ../san/sluiced $(SAN_E2E)/sluiced
	$(Q)SL_BUILD=$(abspath $(SAN_E2E)) ASAN_OPTIONS=log_path=$(abspath $(SAN_E2E))/asan \
		UBSAN_OPTIONS=log_path=$(abspath $(SAN_E2E))/ubsan $(PROVE) $(filter-out %bench_quick.sh,$(E2E_TESTS))
	$(Q)if ls $(SAN_E2E)/asan.* $(SAN_E2E)/ubsan.* >/dev/null 2>&1; then \
		echo "sanitizer reports:"; head -50 $(SAN_E2E)/asan.* $(SAN_E2E)/ubsan.* 2>/dev/null; exit 1; fi

# libFuzzer, ASan+UBSan, FUZZ_SECS each: the HTTP glue (tests/fuzz/fuzz_http.c), the config
# parser (fuzz_config.c), the proxy state machine (fuzz_proxy.c) and HTTP/2 in it (fuzz_h2.c).
# Not part of make test (which replays the last two's corpora: FUZZ_REPLAY); corpora grow under
# build/fuzz/.
FUZZ_SECS ?= 60
FUZZ_CC   := $(CLANG) -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all $(CPPFLAGS)
# fuzz_proxy and fuzz_h2 are the kernel of the worker they run: their harness (fuzz_worker.h) defines
# the liburing functions that enter one. Each target links the archives of the layers it drives,
# built a third way under build/fuzz/. fuzz_X's replay runs tests/fuzz/X_corpus and X_repro.
FUZZ_PROXY_LAYERS := l7 cache forward
LDLIBS_NO_URING := $(filter-out -luring,$(LDLIBS))
$(FUZZ_REPLAY): $(BUILD)/san/tests/fuzz/fuzz_%_replay: tests/fuzz/fuzz_%.c tests/fuzz/fuzz_worker.h \
		$(call layer_libs,$(BUILD)/san,$(FUZZ_PROXY_LAYERS))
	$(call msg,LINK-SAN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(SAN) $(WARN) -DFUZZ_REPLAY \
		-DFUZZ_CORPUS='"tests/fuzz/$*_corpus"' -DFUZZ_REPRO='"tests/fuzz/$*_repro"' \
		$< $(filter %.a,$^) $(LDLIBS_NO_URING) -o $@
FZ := $(BUILD)/fuzz/obj
$(foreach l,$(ARCH_LAYERS),$(eval $(FZ)/userspace/$(l).a: $(call layer_objs,$(FZ),$(l))))
$(FZ)/llhttp/%.o: $(LLHTTP_SRC)/%.c
	@mkdir -p $(@D)
	$(call msg,CC-FUZZ,$@)
	$(Q)$(FUZZ_CC) -fsanitize=fuzzer-no-link $(LLHTTP_CFLAGS) -w -c $< -o $@
$(FZ)/%.o: %.c | $(SKELS)
	@mkdir -p $(@D)
	$(call msg,CC-FUZZ,$@)
	$(Q)$(FUZZ_CC) -fsanitize=fuzzer-no-link $(LLHTTP_CFLAGS) $(DEPFLAGS) -c $< -o $@
$(patsubst %,$(BUILD)/fuzz/fuzz_%,$(FUZZ_WORKER)): $(BUILD)/fuzz/%: tests/fuzz/%.c tests/fuzz/fuzz_worker.h \
		$(call layer_libs,$(FZ),$(FUZZ_PROXY_LAYERS))
	$(call msg,FUZZ,$@)
	$(Q)$(FUZZ_CC) $< $(filter %.a,$^) $(LDLIBS_NO_URING) -o $@
$(BUILD)/fuzz/fuzz_http: tests/fuzz/fuzz_http.c $(call layer_libs,$(FZ),$(call src_layers,tests/fuzz/fuzz_http.c))
	$(call msg,FUZZ,$@)
	$(Q)$(FUZZ_CC) $< $(filter %.a,$^) -lpthread -o $@
$(BUILD)/fuzz/fuzz_config: tests/fuzz/fuzz_config.c $(call layer_libs,$(FZ),$(call src_layers,tests/fuzz/fuzz_config.c))
	$(call msg,FUZZ,$@)
	$(Q)$(FUZZ_CC) $< $(filter %.a,$^) -lyaml -lpthread -o $@
fuzz: $(BUILD)/fuzz/fuzz_http $(BUILD)/fuzz/fuzz_config $(BUILD)/fuzz/fuzz_proxy $(BUILD)/fuzz/fuzz_h2
	@mkdir -p $(BUILD)/fuzz/http $(BUILD)/fuzz/config $(BUILD)/fuzz/proxy $(BUILD)/fuzz/h2
	$(BUILD)/fuzz/fuzz_http -max_total_time=$(FUZZ_SECS) -max_len=4096 -print_final_stats=1 \
		$(BUILD)/fuzz/http tests/fuzz/http_corpus
	$(BUILD)/fuzz/fuzz_config -max_total_time=$(FUZZ_SECS) -max_len=8192 -print_final_stats=1 \
		$(BUILD)/fuzz/config tests/fuzz/config_corpus
	$(BUILD)/fuzz/fuzz_proxy -max_total_time=$(FUZZ_SECS) -max_len=4096 -timeout=20 -print_final_stats=1 \
		-dict=tests/fuzz/proxy.dict \
		-artifact_prefix=$(BUILD)/fuzz/proxy- $(BUILD)/fuzz/proxy tests/fuzz/proxy_corpus
	$(BUILD)/fuzz/fuzz_h2 -max_total_time=$(FUZZ_SECS) -max_len=4096 -timeout=20 -print_final_stats=1 \
		-dict=tests/fuzz/h2.dict \
		-artifact_prefix=$(BUILD)/fuzz/h2- $(BUILD)/fuzz/h2 tests/fuzz/h2_corpus

bench: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)bench/run.sh $(BENCH_ARGS)

demo: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)tools/demo.sh

install: $(BINS) $(BPF_OBJS)
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/sluice
	$(if $(wildcard $(BUILD)/sluiced),install -m 0755 $(BUILD)/sluiced $(DESTDIR)$(PREFIX)/sbin/)
	$(if $(wildcard $(BUILD)/sluicectl),install -m 0755 $(BUILD)/sluicectl $(DESTDIR)$(PREFIX)/bin/)
	install -m 0644 $(filter $(BUILD)/bpf/%,$(BPF_OBJS)) $(DESTDIR)$(PREFIX)/lib/sluice/

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
