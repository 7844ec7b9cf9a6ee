# Talad's build: everything is built out of tree into $(BUILD) (build/ by
# default; build/asan/ for the sanitizer run of the unit tests). Libraries are
# found with pkg-config; a missing one makes the build install the Debian
# packages first (scripts/install-deps).

BUILD   ?= build
CC      ?= cc
SAN     ?=
OPT     ?= -O2 -g
PKGS    := sqlite3 libpq libmicrohttpd libcurl jansson libsodium ncursesw libthai freetype2
TESTPKGS := cmocka

CFLAGS_BASE := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wshadow -Werror \
	-Wno-missing-field-initializers -Isrc $(OPT) $(SAN)
VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)

CORE_SRC     := $(wildcard src/core/*.c src/common/*.c)
HW_SRC       := $(wildcard src/hw/*.c)
REGISTER_SRC := $(filter-out src/register/main.c,$(wildcard src/register/*.c))
SERVER_SRC   := $(filter-out src/server/main.c,$(wildcard src/server/*.c))
UNIT_SRC     := $(wildcard tests/unit/test_*.c)
TESTLIB_SRC  := $(wildcard tests/lib/*.c)
BENCH_SRC    := $(wildcard bench/*.c)

# Quiet by default; `make V=1` shows the commands.
ifeq ($(V),1)
Q :=
else
Q := @
endif

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))

LIB_CORE     := $(BUILD)/libtalad-core.a
LIB_HW       := $(BUILD)/libtalad-hw.a
LIB_REGISTER := $(BUILD)/libtalad-register.a
LIB_SERVER   := $(BUILD)/libtalad-server.a
# Link order: the higher layers first, core last.
LIBS_ALL     := $(LIB_SERVER) $(LIB_REGISTER) $(LIB_HW) $(LIB_CORE)

UNIT_BIN  := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))
BENCH_BIN := $(patsubst bench/%.c,$(BUILD)/bench/%,$(BENCH_SRC))

.SECONDARY:
.PHONY: all deps test unit unit-asan e2e demo bench clean format lint
all: $(BUILD)/talad $(BUILD)/talad-server

ifeq ($(filter clean format deps,$(MAKECMDGOALS)),)
# Generated once per build directory: checking for (and if need be
# installing) the libraries, then recording their flags.
$(BUILD)/config.mk: Makefile scripts/install-deps scripts/check-deps
	@mkdir -p $(BUILD)
	@scripts/check-deps || scripts/install-deps
	@scripts/check-deps
	@{ echo "PKG_CFLAGS := $$(pkg-config --cflags $(PKGS) $(TESTPKGS))"; \
	   echo "PKG_LIBS := $$(pkg-config --libs $(PKGS)) -lzint -lm -lpthread"; \
	   echo "TEST_LIBS := $$(pkg-config --libs $(TESTPKGS))"; } > $@
include $(BUILD)/config.mk
endif

deps:
	scripts/check-deps || scripts/install-deps

CFLAGS_ALL = $(CFLAGS_BASE) -DTALAD_VERSION='"$(VERSION)"' $(PKG_CFLAGS) $(CFLAGS)

$(BUILD)/obj/%.o: %.c $(BUILD)/config.mk
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS_ALL) -MMD -MP -c $< -o $@

$(LIB_CORE): $(call obj,$(CORE_SRC))
$(LIB_HW): $(call obj,$(HW_SRC))
$(LIB_REGISTER): $(call obj,$(REGISTER_SRC))
$(LIB_SERVER): $(call obj,$(SERVER_SRC))
$(BUILD)/lib%.a:
	@rm -f $@
	$(Q)$(AR) rcs $@ $^

$(BUILD)/talad: $(call obj,src/register/main.c) $(LIBS_ALL)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS_ALL) -o $@ $< $(LIBS_ALL) $(PKG_LIBS) $(LDFLAGS)

$(BUILD)/talad-server: $(call obj,src/server/main.c) $(LIBS_ALL)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS_ALL) -o $@ $< $(LIBS_ALL) $(PKG_LIBS) $(LDFLAGS)

$(BUILD)/tests/%: $(call obj,tests/unit/%.c) $(call obj,$(TESTLIB_SRC)) $(LIBS_ALL)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS_ALL) -o $@ $< $(call obj,$(TESTLIB_SRC)) $(LIBS_ALL) $(PKG_LIBS) $(TEST_LIBS) $(LDFLAGS)

$(BUILD)/bench/%: $(call obj,bench/%.c) $(LIBS_ALL)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS_ALL) -o $@ $< $(LIBS_ALL) $(PKG_LIBS) $(LDFLAGS)

# Tests: unit tests, the same unit tests under ASan+UBSan, then the end-to-end
# tests that drive the real binaries. The last line is the overall summary.
test: all $(UNIT_BIN)
	@$(MAKE) --no-print-directory BUILD=build/asan OPT='-O1 -g' \
		SAN='-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all' \
		build/asan/talad build/asan/talad-server \
		$(patsubst $(BUILD)/%,build/asan/%,$(UNIT_BIN))
	@tests/run --build $(BUILD) --asan build/asan

unit: $(UNIT_BIN)
	@tests/run --build $(BUILD) --only unit

e2e: all
	@tests/run --build $(BUILD) --only e2e

bench: all $(BENCH_BIN)
	bench/run $(BUILD)

# The demo store on SQLite, with a register logged in to it.
demo: all
	@scripts/demo $(BUILD)

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

lint: all
	cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability \
		--inline-suppr -Isrc src

clean:
	rm -rf $(BUILD) build

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
