# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Sluice build: BPF objects -> skeletons -> userspace, all under build/.
# Sources are found by pattern, so adding a file never needs an edit here:
#   bpf/*.bpf.c, tests/bpf/*.bpf.c, bench/*.bpf.c  -> build/<dir>/<name>.bpf.o + build/<dir>/<name>.skel.h
#   userspace/*.c                                   -> build/sluiced (main.c holds main())
#   tools/sluicectl/*.c                             -> build/sluicectl
#   tests/unit/test_*.c                             -> build/tests/unit/test_* (+ an ASan/UBSan twin)
#   tests/bpf/test_*.c (+ other tests/bpf/*.c)      -> build/tests/bpf/test_*
#   bench/*.c                                       -> build/bench/*
#   tests/e2e/test_*.sh                             run as they are

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
DEPFLAGS  = -MMD -MP
LDLIBS   += -lxdp -lbpf -luring -lyaml -lcares -lcrypt -lcrypto -lelf -lz -lpthread -lm
SAN      := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
BPF_CFLAGS := -O2 -g -target bpf -D__TARGET_ARCH_x86 -I$(ARCH_INC) -Iinclude -Ibpf -Wall -Werror

BPF_SRCS  := $(wildcard bpf/*.bpf.c tests/bpf/*.bpf.c bench/*.bpf.c)
BPF_OBJS  := $(patsubst %.bpf.c,$(BUILD)/%.bpf.o,$(BPF_SRCS))
SKELS     := $(patsubst %.bpf.c,$(BUILD)/%.skel.h,$(BPF_SRCS))

LLHTTP_OBJS := $(patsubst $(LLHTTP_SRC)/%.c,$(BUILD)/llhttp/%.o,$(wildcard $(LLHTTP_SRC)/*.c))
USR_SRCS  := $(wildcard userspace/*.c)
USR_OBJS  := $(patsubst %.c,$(BUILD)/%.o,$(USR_SRCS))
LIB_OBJS  := $(filter-out $(BUILD)/userspace/main.o,$(USR_OBJS)) $(LLHTTP_OBJS)
SAN_OBJS  := $(patsubst $(BUILD)/%,$(BUILD)/san/%,$(LIB_OBJS))
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
E2E_TESTS := $(wildcard tests/e2e/test_*.sh)
# fuzz_proxy's harness replaying its corpus and reproducers under ASan+UBSan: a TAP test of check-unit.
FUZZ_REPLAY := $(BUILD)/san/tests/fuzz/fuzz_proxy_replay

BINS := $(if $(USR_SRCS),$(BUILD)/sluiced) $(if $(CTL_SRCS),$(BUILD)/sluicectl)

.PHONY: all test check check-unit check-bpf check-e2e check-e2e-san bench demo deps clean install tests-build fuzz
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

$(BUILD)/sluiced: $(USR_OBJS) $(LLHTTP_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/sluicectl: $(CTL_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/tests/unit/%: $(BUILD)/tests/unit/%.o $(LIB_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/san/tests/unit/%: $(BUILD)/san/tests/unit/%.o $(SAN_OBJS)
	$(call msg,LINK-SAN,$@)
	$(Q)$(CC) $(CFLAGS) $(SAN) $^ $(LDLIBS) -o $@

# BPF tests write VIPs through the control plane's own map writer (l4_maps.o).
$(BUILD)/tests/bpf/%: $(BUILD)/tests/bpf/%.o $(TBPF_LIB) $(BUILD)/userspace/l4_maps.o
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@

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
check: check-unit check-bpf check-e2e
check-unit: $(UNIT_BINS) $(SAN_BINS) $(FUZZ_REPLAY)
	$(if $^,$(Q)$(PROVE) $^)
check-bpf: $(TBPF_BINS)
	$(if $^,$(Q)$(PROVE) $^)
check-e2e: all
	$(if $(E2E_TESTS),$(Q)$(PROVE) $(E2E_TESTS))

# The e2e tests against a sluiced built with ASan+UBSan (not part of make test: about 4 more
# minutes). Sanitizer reports go to files under build/san-e2e/; any report fails the target.
$(BUILD)/san/sluiced: $(SAN_OBJS) $(BUILD)/san/userspace/main.o
	$(call msg,LINK-SAN,$@)
	$(Q)$(CC) $(CFLAGS) $(SAN) $^ $(LDLIBS) -o $@
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
# parser (fuzz_config.c) and the proxy state machine (fuzz_proxy.c). Not part of make test (which
# replays fuzz_proxy's corpus: FUZZ_REPLAY); corpora grow under build/fuzz/.
FUZZ_SECS ?= 60
FUZZ_CC   := $(CLANG) -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all $(CPPFLAGS)
# fuzz_proxy is the kernel of the worker it runs: it defines the liburing functions that enter one.
FUZZ_PROXY := $(filter-out userspace/main.c,$(USR_SRCS)) $(wildcard $(LLHTTP_SRC)/*.c)
LDLIBS_NO_URING := $(filter-out -luring,$(LDLIBS))
FUZZ_DIRS := -DFUZZ_CORPUS='"tests/fuzz/proxy_corpus"' -DFUZZ_REPRO='"tests/fuzz/proxy_repro"'
$(FUZZ_REPLAY): tests/fuzz/fuzz_proxy.c $(SAN_OBJS)
	$(call msg,LINK-SAN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(SAN) $(WARN) -DFUZZ_REPLAY $(FUZZ_DIRS) $^ $(LDLIBS_NO_URING) -o $@
$(BUILD)/fuzz/fuzz_proxy: tests/fuzz/fuzz_proxy.c $(FUZZ_PROXY) | $(SKELS)
	@mkdir -p $(@D)
	$(call msg,FUZZ,$@)
	$(Q)$(FUZZ_CC) $(LLHTTP_CFLAGS) $^ $(LDLIBS_NO_URING) -o $@
FUZZ_HTTP := $(addprefix userspace/,http_msg.c cache.c cache_control.c cache_fresh.c cache_range.c cache_store.c \
	     cache_key.c cache_pending.c cache_fill.c forward_acl.c log.c) $(wildcard $(LLHTTP_SRC)/*.c)
FUZZ_CFG  := $(wildcard userspace/config*.c) userspace/log.c userspace/maglev.c
$(BUILD)/fuzz/fuzz_http: tests/fuzz/fuzz_http.c $(FUZZ_HTTP)
	@mkdir -p $(@D)
	$(call msg,FUZZ,$@)
	$(Q)$(FUZZ_CC) $(LLHTTP_CFLAGS) $^ -lpthread -o $@
$(BUILD)/fuzz/fuzz_config: tests/fuzz/fuzz_config.c $(FUZZ_CFG)
	@mkdir -p $(@D)
	$(call msg,FUZZ,$@)
	$(Q)$(FUZZ_CC) $^ -lyaml -lpthread -o $@
fuzz: $(BUILD)/fuzz/fuzz_http $(BUILD)/fuzz/fuzz_config $(BUILD)/fuzz/fuzz_proxy
	@mkdir -p $(BUILD)/fuzz/http $(BUILD)/fuzz/config $(BUILD)/fuzz/proxy
	$(BUILD)/fuzz/fuzz_http -max_total_time=$(FUZZ_SECS) -max_len=4096 -print_final_stats=1 \
		$(BUILD)/fuzz/http tests/fuzz/http_corpus
	$(BUILD)/fuzz/fuzz_config -max_total_time=$(FUZZ_SECS) -max_len=8192 -print_final_stats=1 \
		$(BUILD)/fuzz/config tests/fuzz/config_corpus
	$(BUILD)/fuzz/fuzz_proxy -max_total_time=$(FUZZ_SECS) -max_len=4096 -timeout=20 -print_final_stats=1 \
		-dict=tests/fuzz/proxy.dict \
		-artifact_prefix=$(BUILD)/fuzz/proxy- $(BUILD)/fuzz/proxy tests/fuzz/proxy_corpus

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
