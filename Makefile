# hotpath build.
#
#   make            libhotpath.so (the Lua-free core, C ABI in csrc/hotpath.h), the Lua 5.4
#                   module hotpath.core, and the FFI cdefs for LuaJIT
#   make test       installs missing Debian packages, builds, runs C tests (ASan+UBSan build)
#                   and the specs under Lua 5.4 and LuaJIT; last line "N passed, N failed"
#   make bench      installs missing packages, builds, runs bench/ and prints the summary
#   make asan       ASan+UBSan build of the C tests, and runs them
#   make fuzz       builds the libFuzzer targets (tests/fuzz/fuzz_*.c, clang, ASan+UBSan) and
#                   runs each for FUZZ_TIME seconds (default 300) on its corpus
#   make deps       installs the Debian packages listed in tools/deps.txt that are missing
#   make install    used by luarocks (LUADIR, LIBDIR); install-luajit for LuaJIT/OpenResty
#   make dist       the source tarball of hotpath-VERSION-1.rockspec (build/dist/)
#   make rock       build/dist/hotpath-VERSION-1.src.rock (luarocks pack; doc/install.md)
#
# Sources are found by folder: every csrc/<module>/*.c and *.cpp outside csrc/lua is core,
# every csrc/lua/*.c is binding, every tests/c/test_*.c is one C test program.

# `make` alone (luarocks' build step) is `make all`: the per-ABI rules below come first.
.DEFAULT_GOAL := all

BUILD      ?= build
CC         ?= cc
CXX        ?= c++
LUA_INCDIR ?= /usr/include/lua5.4
LUAJIT_INCDIR ?= /usr/include/luajit-2.1
LUA54      ?= lua5.4
LUAJIT     ?= luajit
BUSTED     ?= busted
PREFIX     ?= /usr/local
LUADIR     ?= $(PREFIX)/share/lua/5.4
LIBDIR     ?= $(PREFIX)/lib/lua/5.4

# luarocks passes CFLAGS="-O2 -fPIC" and LIBFLAG; ours are added, not replaced.
CFLAGS     ?= -O2
CXXFLAGS   ?= -O2
LIBFLAG    ?= -shared

# Quiet build lines ("CC file"); make V=1 shows the commands.
ifeq ($(V),1)
Q :=
say = @:
else
Q := @
say = @echo "  $(1) $(2)"
endif

WARN     := -Wall -Wextra -Wshadow -Wmissing-prototypes -Wstrict-prototypes
CXXWARN  := -Wall -Wextra -Wshadow -Wmissing-declarations
# -ffp-contract=off: the kernels' outputs depend on rounding (doc/reference.md, mandelbrot).
# -fno-math-errno: sqrt becomes one instruction instead of a call guarded for errno, which
# nothing here reads after a math function (n-body took 1.13x the Rust peer's time without
# it, 1.00x with it; doc/kernels.md).
COMMON   := -fPIC -fvisibility=hidden -ffp-contract=off -fno-math-errno -MMD -MP -D_GNU_SOURCE -Icsrc
HP_CFLAGS   = -std=c11 $(WARN) $(COMMON) $(EXTRA_CFLAGS) $(CFLAGS)
HP_CXXFLAGS = -std=c++17 $(CXXWARN) $(COMMON) $(EXTRA_CFLAGS) $(CXXFLAGS)
LDLIBS   := -lpthread -lm
# Modules that need a library add it here (one line each).
-include csrc/*/libs.mk

# Programs of their own, not core: csrc/proc/launcher.c (hotpath-launch) and
# csrc/kernels/program.c (hotpath-kernel, the kernels as standalone programs).
LAUNCH_C := csrc/proc/launcher.c
KPROG_C  := csrc/kernels/program.c
CORE_C   := $(sort $(filter-out csrc/lua/% csrc/luart/% $(LAUNCH_C) $(KPROG_C),$(wildcard csrc/*/*.c)))
CORE_CXX := $(sort $(filter-out csrc/lua/% csrc/luart/%,$(wildcard csrc/*/*.cpp)))
TEST_C   := $(sort $(wildcard tests/c/test_*.c))
FUZZ_C   := $(sort $(wildcard tests/fuzz/fuzz_*.c))
ABI_H    := $(shell grep -l 'hotpath:abi' csrc/common/*.h) \
            $(shell grep -l 'hotpath:abi' $(filter-out csrc/common/%,$(wildcard csrc/*/*.h)) /dev/null)

CORE_O   := $(CORE_C:%.c=$(BUILD)/%.o) $(CORE_CXX:%.cpp=$(BUILD)/%.o)
TEST_BIN := $(TEST_C:tests/c/%.c=$(BUILD)/tests/%)
FUZZ_BIN := $(FUZZ_C:tests/fuzz/%.c=$(BUILD)/fuzzers/%)
LINKER   := $(if $(CORE_CXX),$(CXX),$(CC))

LIB      := $(BUILD)/libhotpath.so
# The launcher of measured programs (csrc/proc/launch.h), beside libhotpath.so.
LAUNCH   := $(BUILD)/hotpath-launch
KPROG    := $(BUILD)/hotpath-kernel
CORE_A   := $(BUILD)/libhotpath.a

# ---- the C module, once per Lua ABI -----------------------------------------------------------
# One source, csrc/lua/*.c (the binding) and csrc/luart/*.c (the Lua runtime of the pool's
# worker threads), written against the 5.4 API (csrc/lua/lcompat.h is the only place the ABIs
# differ), compiled once per ABI into build/<abi>/ and linked with the core into
# build/<abi>/hotpath/core.so. ABIS: the ABIs whose headers are there ("lua54" needs Lua 5.4's,
# luarocks for Lua 5.1/LuaJIT has none: it builds the LuaJIT one). ABI_INC_<abi> and
# ABI_FLAGS_<abi> are the only per-ABI settings; no source file carries an ABI macro.
# -fexceptions for LuaJIT: it throws its errors with the system unwinder, which then runs the
# cleanup handlers of the binding's C frames.
LUA_ABI  := $(shell echo LUA_VERSION_NUM | $(CC) -E -P -include lua.h -I$(LUA_INCDIR) - 2>/dev/null | tail -n 1)
# Lua 5.1's ABI is LuaJIT's (luarocks --lua-version=5.1 aimed at it: doc/install.md); PUC Lua
# 5.1 has no binding of its own, so a rock built for it could not load.
ifeq ($(LUA_ABI)$(wildcard $(LUA_INCDIR)/luajit.h),501)
$(error hotpath runs on Lua 5.4 or LuaJIT, not PUC Lua 5.1 ($(LUA_INCDIR) has no luajit.h): give luarocks --lua-version=5.4, or aim it at LuaJIT as doc/install.md shows)
endif
# luarocks for LuaJIT passes LuaJIT's headers as LUA_INCDIR (LUA_VERSION_NUM 501).
ABI_INC_lua54   = $(LUA_INCDIR)
ABI_INC_luajit  = $(if $(filter 501,$(LUA_ABI)),$(LUA_INCDIR),$(LUAJIT_INCDIR))
HAVE_LUAJIT := $(wildcard $(ABI_INC_luajit)/lua.h)
ABIS     := $(if $(filter 504,$(LUA_ABI)),lua54) $(if $(HAVE_LUAJIT),luajit)
ABI_FLAGS_luajit := -fexceptions
BIND_C   := $(sort $(wildcard csrc/lua/*.c csrc/luart/*.c))
bind_o    = $(patsubst %.c,$(BUILD)/$(1)/%.o,$(BIND_C))
core_so   = $(BUILD)/$(1)/hotpath/core.so
CORE_SOS := $(foreach a,$(ABIS),$(call core_so,$(a)))

define abi_rules
$$(BUILD)/$(1)/%.o: %.c
	@mkdir -p $$(@D)
	$$(call say,CC,$$< ($(1)))
	$$(Q)$$(CC) $$(HP_CFLAGS) $$(ABI_FLAGS_$(1)) -I$$(ABI_INC_$(1)) -c $$< -o $$@

# The module carries its own copy of the core, so it needs no rpath to find libhotpath.so.
# -Bsymbolic-functions: its calls into its own core bind at link time (direct calls, not
# through the PLT: the encoder makes hundreds per document).
$$(call core_so,$(1)): $$(call bind_o,$(1)) $$(CORE_O)
	@mkdir -p $$(@D)
	$$(call say,LD,$$@)
	$$(Q)$$(LINKER) $$(LIBFLAG) -Wl,-Bsymbolic-functions -o $$@ $$^ $$(LDLIBS)
endef
$(foreach a,lua54 luajit,$(eval $(call abi_rules,$(a))))

CDEF     := $(BUILD)/lua/hotpath/ffi/cdef.lua
CONSTS   := $(BUILD)/lua/hotpath/consts.lua
BUILDINFO = $(CC) $(shell $(CC) -dumpfullversion 2>/dev/null) $(CFLAGS) $(EXTRA_CFLAGS)

.PHONY: all test bench asan tsan deps install install-luajit clean ctest specs fuzz fuzz-build fuzzers
all: $(LIB) $(LAUNCH) $(KPROG) $(CDEF) $(CONSTS) $(CORE_SOS)

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(call say,CC,$<)
	$(Q)$(CC) $(HP_CFLAGS) '-DHP_BUILD_INFO="$(BUILDINFO)"' -c $< -o $@

$(BUILD)/%.o: %.cpp
	@mkdir -p $(@D)
	$(call say,CXX,$<)
	$(Q)$(CXX) $(HP_CXXFLAGS) -c $< -o $@

# Static and without sanitizers or the caller's CFLAGS: what it touches before its fork is the
# floor of every measured peak (about 250 kB static, 400 kB dynamic; doc/measurement.md). A
# toolchain without a static libc gets the dynamic build.
LAUNCH_FLAGS := -std=c11 -O2 $(WARN) -D_GNU_SOURCE -Icsrc $(filter -Werror,$(EXTRA_CFLAGS))
$(LAUNCH): $(LAUNCH_C) csrc/proc/launch.h
	@mkdir -p $(@D)
	$(call say,LD,$@)
	$(Q)$(CC) $(LAUNCH_FLAGS) -static -o $@ $(LAUNCH_C) 2>/dev/null || $(CC) $(LAUNCH_FLAGS) -o $@ $(LAUNCH_C)

# The kernels as programs (csrc/kernels/program.c), linked from the core's archive so that only
# what the kernels use comes in (not simdjson or the C++ runtime), and static like the launcher:
# their peak memory is compared with the Rust and Go peers' (doc/peers.md).
$(CORE_A): $(CORE_O)
	$(call say,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(KPROG): $(BUILD)/$(KPROG_C:.c=.o) $(CORE_A)
	$(call say,LD,$@)
	$(Q)$(CC) -static -o $@ $^ $(KERNEL_LIBS) -lpthread -lm 2>/dev/null || $(CC) -o $@ $^ $(LDLIBS)

$(LIB): $(CORE_O)
	$(call say,LD,$@)
	$(Q)$(LINKER) $(LIBFLAG) -o $@ $^ $(LDLIBS)

# The FFI declarations are the ABI headers themselves, less preprocessor lines. The list of
# headers is kept in a file that changes only when the list does, so adding a header rebuilds.
ABI_LIST := $(BUILD)/abi-headers.txt
$(shell mkdir -p $(BUILD) && echo '$(ABI_H)' | cmp -s - $(ABI_LIST) || echo '$(ABI_H)' > $(ABI_LIST))

$(CDEF): $(ABI_H) $(ABI_LIST) tools/gen_cdef.sh
	@mkdir -p $(@D)
	$(call say,GEN,$@)
	$(Q)sh tools/gen_cdef.sh $(ABI_H) > $@.tmp && mv $@.tmp $@

# The ABI's named integer constants (limits, codes) for the Lua layer of both runtimes.
$(CONSTS): $(ABI_H) $(ABI_LIST) tools/gen_consts.sh
	@mkdir -p $(@D)
	$(call say,GEN,$@)
	$(Q)sh tools/gen_consts.sh $(ABI_H) > $@.tmp && mv $@.tmp $@

$(BUILD)/tests/%: tests/c/%.c $(CORE_O) tests/c/tap.h tests/c/dial.h | $(LAUNCH)
	@mkdir -p $(@D)
	$(call say,TEST,$@)
	$(Q)$(LINKER) $(filter-out -MMD -MP,$(HP_CFLAGS)) -Itests/c -o $@ -x c $< -x none $(CORE_O) $(LDLIBS)

ctest: $(TEST_BIN)

# A fuzz target links the modules of the core its parsers live in (common, json, http, proc), built by clang with
# the fuzzer's coverage hooks; the kernels use GCC's vector builtins, which clang lacks.
FUZZ_O   := $(filter $(BUILD)/csrc/common/% $(BUILD)/csrc/json/% $(BUILD)/csrc/http/% $(BUILD)/csrc/proc/%,$(CORE_O))
$(BUILD)/fuzzers/%: tests/fuzz/%.c $(FUZZ_O)
	@mkdir -p $(@D)
	$(call say,FUZZ,$@)
	$(Q)$(CXX) $(filter-out -MMD -MP,$(HP_CFLAGS)) -fsanitize=fuzzer -o $@ -x c $< -x none $(FUZZ_O) $(LDLIBS)

fuzzers: $(FUZZ_BIN)

# ---- set-up ---------------------------------------------------------------------------------
deps:
	@sh tools/deps.sh

# ---- tests ----------------------------------------------------------------------------------
ASAN_FLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined -Werror

# make test runs each fuzz target this many seconds (two at a time) on its corpus.
FUZZ_SMOKE ?= 40
test: deps
	@$(MAKE) --no-print-directory all EXTRA_CFLAGS=-Werror
	@$(MAKE) --no-print-directory ctest BUILD=$(BUILD)/asan EXTRA_CFLAGS="$(ASAN_FLAGS)" CFLAGS=
	@$(MAKE) --no-print-directory $(TSAN_TESTS) BUILD=$(BUILD)/tsan EXTRA_CFLAGS="$(TSAN_FLAGS)" CFLAGS=
	@$(MAKE) --no-print-directory fuzz-build
	@FUZZ_SMOKE=$(FUZZ_SMOKE) sh tools/run_tests.sh $(BUILD)

# Fuzzers: Debian's clang with libFuzzer (libclang-rt-14-dev); the core objects get coverage
# hooks (-fsanitize=fuzzer-no-link) and the sanitizers. FUZZ_TIME seconds per target.
FUZZ_CC    ?= clang
FUZZ_CXX   ?= clang++
FUZZ_FLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined -DHP_NO_CLONES -Werror
FUZZ_TIME  ?= 300
fuzz-build:
	@$(MAKE) --no-print-directory fuzzers BUILD=$(BUILD)/fuzz CC=$(FUZZ_CC) CXX=$(FUZZ_CXX) EXTRA_CFLAGS="$(FUZZ_FLAGS)" CFLAGS= CXXFLAGS=
fuzz: fuzz-build
	@sh tools/fuzz.sh $(BUILD)/fuzz $(FUZZ_TIME)

asan:
	@$(MAKE) --no-print-directory ctest BUILD=$(BUILD)/asan EXTRA_CFLAGS="$(ASAN_FLAGS)" CFLAGS=
	@for t in $(BUILD)/asan/tests/test_*; do $$t || exit 1; done

# The threaded parts' C tests (pool, load generator) under ThreadSanitizer; TSan exits
# non-zero on a report, so a clean run is the pass.
TSAN_FLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=thread -Werror -DHP_NO_CLONES
TSAN_TESTS := $(filter $(patsubst %,$(BUILD)/tsan/tests/%,test_pool test_http_load test_http_hostile_servers),$(TEST_C:tests/c/%.c=$(BUILD)/tsan/tests/%))
tsan:
	@$(MAKE) --no-print-directory $(TSAN_TESTS) BUILD=$(BUILD)/tsan EXTRA_CFLAGS="$(TSAN_FLAGS)" CFLAGS=
	@for t in $(TSAN_TESTS); do TSAN_OPTIONS=halt_on_error=1:exitcode=66 $$t > /dev/null || { echo "tsan: $$t failed"; exit 1; }; done
	@echo "tsan: $(notdir $(TSAN_TESTS)) clean"

# 3 counted runs a scenario and no warm-up run (`bin/hotpath run bench` alone uses 5 and 1):
# every run is a fresh process, so a warm-up run only warms the page cache, which the peer
# builds and the first round warm anyway, and leaving it out keeps a cold `make bench` (peer
# builds included) under 15 minutes on 2 cores. The Lua JSON scenarios run
# under LuaJIT first (hotpath, lua-cjson, dkjson: the runtime is the thing compared there; the
# Rust and Go peers do not depend on it and run once, below), then everything under Lua 5.4,
# whose summary table ends the run. First the Rust and Go peers are built, as many at once as
# there are cores (tools/build_peers.lua; cached by source digest in build/peers/, so a second
# `make bench` builds nothing); a peer that fails to build fails its scenarios, which show why.
bench: deps all
	@$(LUA54) tools/build_peers.lua --list | xargs -r -P $$(nproc) -L 1 $(LUA54) tools/build_peers.lua --one \
	  || echo "make bench: some peers did not build; their scenarios will say why"
	@$(LUAJIT) bin/hotpath run bench/json.lua --runs 3 --warmup 0 --filter 'hotpath$$' --filter 'cjson$$' --filter 'dkjson$$'
	@$(LUA54) bin/hotpath run bench --runs 3 --warmup 0

# ---- install --------------------------------------------------------------------------------
# The Lua files, the ABI's constants, the launcher (LIBDIR/hotpath-launch: proc.c finds it one
# folder above the module) and the C module built for the runtime installed for, INSTALL_ABI
# (Lua 5.4 when LUA_INCDIR holds its headers, else LuaJIT), as LIBDIR/hotpath/core.so.
# LuaJIT's install also gets the cdefs its FFI fast paths for JSON declare (they call the
# module's own copy of the core); Lua 5.4's needs none of lua/hotpath/ffi/.
INSTALL_ABI := $(if $(filter 504,$(LUA_ABI)),lua54,luajit)
# The default suites and what they run (bench/programs/, the peers' sources in bench/peers/) go
# below the Lua modules, in hotpath/bench/, where hotpath.paths finds them (`hotpath run` with
# no path runs them; `hotpath list` says where they are). Sources only: no build output.
BENCH_FILES := -name '*.lua' -o -name '*.go' -o -name '*.rs' -o -name '*.toml' -o -name build.tags -o -name README.md
install: all
	mkdir -p $(DESTDIR)$(LUADIR) $(DESTDIR)$(LIBDIR)
	cd lua && find hotpath -name '*.lua' $(if $(filter lua54,$(INSTALL_ABI)),-not -path 'hotpath/ffi/*') -exec install -D -m 644 {} $(DESTDIR)$(LUADIR)/{} \;
	install -D -m 644 $(CONSTS) $(DESTDIR)$(LUADIR)/hotpath/consts.lua
	install -D -m 755 $(LAUNCH) $(DESTDIR)$(LIBDIR)/hotpath-launch
	install -D -m 755 $(KPROG) $(DESTDIR)$(LIBDIR)/hotpath-kernel
	install -D -m 755 $(call core_so,$(INSTALL_ABI)) $(DESTDIR)$(LIBDIR)/hotpath/core.so
	$(if $(filter luajit,$(INSTALL_ABI)),install -D -m 644 $(CDEF) $(DESTDIR)$(LUADIR)/hotpath/ffi/cdef.lua)
	cd bench && find . -type f \( $(BENCH_FILES) \) -exec install -D -m 644 {} $(DESTDIR)$(LUADIR)/hotpath/bench/{} \;

# LuaJIT / OpenResty: Lua files into share/lua/5.1, the C module into lib/lua/5.1.
install-luajit:
	$(MAKE) install LUA_INCDIR=/nonexistent LUADIR=$(PREFIX)/share/lua/5.1 LIBDIR=$(PREFIX)/lib/lua/5.1

# ---- release --------------------------------------------------------------------------------
# make dist: the source tarball build/dist/hotpath-VERSION.tar.gz (VERSION: the core's
# hp_version), the source of hotpath-VERSION-1.rockspec, and beside it a copy of that rockspec
# that names the tarball by its absolute path (what `luarocks pack` needs); make rock: packs
# that copy into build/dist/hotpath-VERSION-1.src.rock, which `luarocks install` builds and
# installs offline (doc/install.md).
VERSION = $(shell sed -n 's/.*hp_version(void) { return "\([^"]*\)".*/\1/p' csrc/common/common.c)
.PHONY: dist rock
dist:
	@sh tools/dist.sh '$(VERSION)' build/dist
rock: dist
	cd build/dist && luarocks pack hotpath-$(VERSION)-1.rockspec

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
