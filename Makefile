# shapelab: `make` builds everything (float32 in build/, float64 in build/f64/),
# `make test` runs both test suites and every lesson with --quick, `make demo` runs the lessons.
# Both install what is missing first (see tools/install-deps.sh).

.DEFAULT_GOAL := all

CC      ?= cc
CSTD    := -std=c11
WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wno-format-truncation
# (messages are cut to their buffers on purpose, so truncation warnings are off)
OPT     ?= -O3 -march=native -g
CFLAGS  += $(CSTD) $(WARN) $(OPT) -MMD -MP -D_POSIX_C_SOURCE=200809L
LDLIBS  := -lm -lpthread
CHECK_CFLAGS := $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS   := $(shell pkg-config --libs check 2>/dev/null)
SDL_CFLAGS   := $(shell pkg-config --cflags sdl2 2>/dev/null)
SDL_LIBS     := $(shell pkg-config --libs sdl2 2>/dev/null)
STB_CFLAGS   := -I/usr/include/stb
# The fonts the visualizer draws with, put inside the program at build time (viz/fonts/README.md)
FONT_DIR ?= /usr/share/fonts/truetype/dejavu
FONTS    := sl_font_sans=DejaVuSans sl_font_sans_bold=DejaVuSans-Bold sl_font_mono=DejaVuSansMono
HOSTCC   ?= cc

B   := build
SRC := $(wildcard src/*.c src/layers/*.c src/kernels/*.c src/script/*.c)
VIZ_SRC := $(wildcard viz/*.c)
LESSON_SRC := $(wildcard lessons/[0-9]*.c)
TEST_SRC   := $(wildcard tests/check_*.c)
CLI_SRC    := $(wildcard cli/*.c)

# The same sources compiled twice: float32 (build/) and float64 (build/f64/, -DSL_DOUBLE).
# The fast kernels compute both sides of a choice and keep one (a vector select), which the
# compiler does only when told that no floating-point operation traps (none is ever made to):
# -fno-trapping-math, which changes no result.
define variant
$(1)/obj/%.o: %.c
	@mkdir -p $$(dir $$@)
	$$(CC) $$(CFLAGS) $(2) -Isrc -Iviz -Icli -Ilessons -c $$< -o $$@

$(1)/obj/src/kernels/%.o: CFLAGS += -fno-trapping-math

$(1)/libshapelab.a: $$(SRC:%.c=$(1)/obj/%.o)
	@rm -f $$@
	$$(AR) rcs $$@ $$^

# The visualizer: only viz/window.c sees SDL's headers; stb's are header-only.
$(1)/obj/viz/%.o: viz/%.c
	@mkdir -p $$(dir $$@)
	$$(CC) $$(CFLAGS) $(2) -Isrc -Iviz $$(STB_CFLAGS) $$(if $$(findstring window,$$*),$$(SDL_CFLAGS)) \
	    -c $$< -o $$@

$(1)/obj/gen/fonts.o: $(B)/gen/fonts.c
	@mkdir -p $$(dir $$@)
	$$(CC) $$(CFLAGS) -c $$< -o $$@

$(1)/libshapelab_viz.a: $$(VIZ_SRC:%.c=$(1)/obj/%.o) $(1)/obj/gen/fonts.o
	@rm -f $$@
	$$(AR) rcs $$@ $$^

$(1)/lessons/%: $(1)/obj/lessons/%.o $(1)/obj/lessons/lesson.o $(1)/libshapelab_viz.a $(1)/libshapelab.a
	@mkdir -p $$(dir $$@)
	$$(CC) $$(CFLAGS) -o $$@ $$^ $$(SDL_LIBS) $$(LDLIBS)

$(1)/shapelab: $$(CLI_SRC:%.c=$(1)/obj/%.o) $(1)/libshapelab_viz.a $(1)/libshapelab.a
	$$(CC) $$(CFLAGS) -o $$@ $$^ $$(SDL_LIBS) $$(LDLIBS)

$(1)/bench/%: $(1)/obj/bench/%.o $(1)/libshapelab_viz.a $(1)/libshapelab.a
	@mkdir -p $$(dir $$@)
	$$(CC) $$(CFLAGS) -o $$@ $$^ $$(SDL_LIBS) $$(LDLIBS)

$(1)/obj/tests/%.o: tests/%.c
	@mkdir -p $$(dir $$@)
	$$(CC) $$(CFLAGS) $(2) $$(CHECK_CFLAGS) -Isrc -Iviz -Icli -DSL_FIXTURES='"tests/fixtures"' \
	    -DSL_BUILD_DIR='"$(1)"' -DSL_SHARED_MODELS='"../shared/models"' -c $$< -o $$@

$(1)/tests/%: $(1)/obj/tests/%.o $(1)/obj/tests/testutil.o $(1)/libshapelab_viz.a $(1)/libshapelab.a
	@mkdir -p $$(dir $$@)
	$$(CC) $$(CFLAGS) -o $$@ $$^ $$(CHECK_LIBS) $$(SDL_LIBS) $$(LDLIBS)

$(1)-all: $(1)/libshapelab.a $(1)/libshapelab_viz.a $(1)/shapelab $(LESSON_SRC:lessons/%.c=$(1)/lessons/%) \
          $(TEST_SRC:tests/%.c=$(1)/tests/%)
endef

# The fonts as C arrays (tools/embed.c runs on the build machine; its output is plain C).
$(B)/gen/embed: tools/embed.c
	@mkdir -p $(dir $@)
	$(HOSTCC) $(CSTD) $(WARN) -O2 -o $@ $<

FONT_FILES := $(foreach f,$(FONTS),$(FONT_DIR)/$(word 2,$(subst =, ,$(f))).ttf)
$(B)/gen/fonts.c: $(B)/gen/embed $(FONT_FILES)
	$(B)/gen/embed $@ $(foreach f,$(FONTS),$(word 1,$(subst =, ,$(f))) \
	    $(FONT_DIR)/$(word 2,$(subst =, ,$(f))).ttf)

$(eval $(call variant,$(B),))
$(eval $(call variant,$(B)/f64,-DSL_DOUBLE))

# Fuzz targets (tests/fuzz/): built in the float32 variant with clang, linked with libFuzzer.
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
CLI_LIB_OBJ = $(filter-out %/main.o,$(CLI_SRC:%.c=$(B)/obj/%.o))
$(B)/fuzz/%: $(B)/obj/tests/fuzz/%.o $(CLI_LIB_OBJ) $(B)/libshapelab_viz.a $(B)/libshapelab.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -fsanitize=fuzzer -o $@ $^ $(SDL_LIBS) $(LDLIBS)

.PHONY: all deps test demo asan fuzz fuzz-build bench clean format
.SECONDARY:

all: $(B)-all $(B)/f64-all

deps:
	@sh tools/install-deps.sh

TESTS_F32 := $(TEST_SRC:tests/%.c=$(B)/tests/%)
TESTS_F64 := $(TEST_SRC:tests/%.c=$(B)/f64/tests/%)

# make test also runs each fuzz target for 30 s when clang and its libFuzzer are here.
# The page (make web) is built and checked in Chromium when emcc and chromium are here.
test: deps
	@$(MAKE) -s --no-print-directory all
	@web=""; if $(HAVE_WEB); then $(MAKE) -s --no-print-directory web-page $(B)/tests/web/check_web || \
	    exit 1; web="$(B)/tests/web/check_web"; else echo "make test: no emcc or no chromium here, so the" \
	    "web page is neither built nor checked (apt-get install emscripten chromium)"; fi; \
	    fuzz=""; if $(HAVE_FUZZER); then $(MAKE) -s --no-print-directory fuzz-build && \
	    fuzz="-- $(FUZZ_BINS)"; fi; \
	    sh tools/run-tests.sh $(TESTS_F32) $$web -- $(TESTS_F64) -- $(LESSON_SRC:lessons/%.c=$(B)/lessons/%) \
	    $(LESSON_SRC:lessons/%.c=$(B)/f64/lessons/%) $$fuzz

# The gradient-check lesson runs in the double build: float32 cannot show errors below 1e-6.
DEMO_LESSONS := $(patsubst $(B)/lessons/%gradient_check,$(B)/f64/lessons/%gradient_check,\
                  $(LESSON_SRC:lessons/%.c=$(B)/lessons/%))

demo: deps
	@$(MAKE) -s --no-print-directory $(B)-all $(B)/f64-all
	@sh tools/run-lessons.sh $(DEMO_LESSONS)

# make asan: every suite and lesson, float32 and float64, under AddressSanitizer (leaks included)
# and UBSan, any report fatal. Windows draw with SDL's software renderer, so Mesa's GL drivers,
# whose leaks no suppression can name, never load (tools/lsan.supp). Sanitized code runs about
# three times slower: Check's timeouts are stretched to match.
ASAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
asan:
	@$(MAKE) --no-print-directory B=build/asan OPT="-O1 -g $(ASAN_FLAGS)" \
	    LDLIBS="-lm -lpthread $(ASAN_FLAGS)" test-asan-run

test-asan-run: $(B)-all $(B)/f64-all
	@LSAN_OPTIONS=suppressions=$(CURDIR)/tools/lsan.supp:print_suppressions=0 \
	    UBSAN_OPTIONS=print_stacktrace=1 SDL_RENDER_DRIVER=software SDL_FRAMEBUFFER_ACCELERATION=0 \
	    CK_TIMEOUT_MULTIPLIER=4 SL_SANITIZED=1 \
	    sh tools/run-tests.sh $(TESTS_F32) -- $(TESTS_F64) -- $(LESSON_SRC:lessons/%.c=$(B)/lessons/%) \
	    $(LESSON_SRC:lessons/%.c=$(B)/f64/lessons/%)

# make fuzz: the libFuzzer targets of tests/fuzz/ under ASan and UBSan (any report is fatal), each
# run for FUZZ_SECONDS; tests/fuzz/README.md says how to run one longer or replay a finding.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_B       := build/fuzz
FUZZ_BINS    := $(FUZZ_SRC:tests/fuzz/%.c=$(FUZZ_B)/fuzz/%)
FUZZ_OPT     := -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all \
                -fno-omit-frame-pointer -fsanitize=fuzzer-no-link -DSL_FUZZ_LIMITS
HAVE_FUZZER  := echo 'int LLVMFuzzerTestOneInput(const char *d, long n) { return !d + !n; }' | \
                $(FUZZ_CC) -x c -fsanitize=fuzzer -o /dev/null - >/dev/null 2>&1

fuzz-build:
	@$(MAKE) --no-print-directory B=$(FUZZ_B) CC=$(FUZZ_CC) OPT="$(FUZZ_OPT)" \
	    WARN="$(WARN) -Wno-unknown-warning-option" $(FUZZ_BINS)

fuzz:
	@$(HAVE_FUZZER) || { echo "make fuzz needs clang with libFuzzer (apt-get install clang \
	    libclang-rt-14-dev)" >&2; exit 1; }
	@$(MAKE) -s --no-print-directory fuzz-build
	@for t in $(FUZZ_BINS); do sh tools/run-fuzz.sh $(FUZZ_SECONDS) $$t || exit 1; done

# make bench: the question models beside PyTorch (bench/run.sh: pinned, one table), then the other
# measurements in bench/, in float32 and float64.
BENCH_SRC := $(wildcard bench/*.c)
BENCH_MORE := $(filter-out bench/bench_models.c,$(BENCH_SRC))
BENCH_MORE_BIN := $(BENCH_MORE:bench/%.c=$(B)/bench/%) $(BENCH_MORE:bench/%.c=$(B)/f64/bench/%)
bench: $(B)/bench/bench_models $(BENCH_MORE_BIN)
	@sh bench/run.sh $(B)/bench/bench_models
	@for b in $(BENCH_MORE_BIN); do $$b; done

# make web: the page of docs/web.md in build/web/, built by Debian's emscripten (no port: its
# cache is frozen). The engine, the visualizer and the CLI's commands compile unchanged, twice
# (float32, and float64 for the scenes drawn in double); web/window.c takes the place of
# viz/window.c, and web/engine.c is the worker's entry.
# tools/web-page.sh puts the float32 engine (the wasm inside, -sSINGLE_FILE), the shared models
# and the page into one index.html; engine-f64.js waits beside it. The lessons become pages from
# what each prints and the scenes it draws (tools/web-lesson.sh; WEB_LESSON_FLAGS=--quick for a
# quick check of them).
EMCC      ?= emcc
WEB       := $(B)/web
WEB_OBJ   := $(B)/web-obj
WEB_ENV   := NODE_PATH=/usr/share/nodejs
WEB_CFLAGS := $(CSTD) $(WARN) -Wno-unknown-warning-option -O2 -MMD -MP -D_POSIX_C_SOURCE=200809L \
              -Isrc -Iviz -Icli $(STB_CFLAGS)
WEB_SRC   := $(SRC) $(filter-out viz/window.c,$(VIZ_SRC)) $(filter-out cli/main.c,$(CLI_SRC)) \
             web/engine.c web/window.c
WEB_LDFLAGS := -O2 -sMODULARIZE=1 -sEXPORT_NAME=createShapelab -sSINGLE_FILE=1 \
               -sENVIRONMENT=worker -sALLOW_MEMORY_GROWTH=1 -sINVOKE_RUN=0 \
               -sEXPORTED_RUNTIME_METHODS=FS,ccall,UTF8ToString,setValue,allocateUTF8OnStack \
               --extern-post-js web/worker.js
SHARED_MODELS ?= ../shared/models
WEB_MODELS := $(sort $(wildcard $(SHARED_MODELS)/*.py))
WEB_LESSON_FLAGS ?=
HAVE_WEB  := command -v $(EMCC) >/dev/null 2>&1 && command -v $${CHROMIUM:-chromium} >/dev/null 2>&1

define web_variant
$(WEB_OBJ)/$(1)/%.o: %.c
	@mkdir -p $$(dir $$@)
	$(WEB_ENV) $(EMCC) $(WEB_CFLAGS) $(2) -c $$< -o $$@

$(WEB_OBJ)/engine-$(1).js: $(WEB_SRC:%.c=$(WEB_OBJ)/$(1)/%.o) $(WEB_OBJ)/fonts.o web/worker.js
	$(WEB_ENV) $(EMCC) $(WEB_LDFLAGS) -o $$@ $$(filter %.o,$$^) -lm
endef
$(eval $(call web_variant,f32,))
$(eval $(call web_variant,f64,-DSL_DOUBLE))

$(WEB_OBJ)/fonts.o: $(B)/gen/fonts.c
	@mkdir -p $(dir $@)
	$(WEB_ENV) $(EMCC) $(CSTD) -O2 -c $< -o $@

$(WEB)/index.html: web/index.html web/page.css web/page.js $(WEB_OBJ)/engine-f32.js $(WEB_MODELS) \
                   tools/web-page.sh
	@mkdir -p $(dir $@)
	sh tools/web-page.sh $@ web/index.html web/page.css web/page.js $(WEB_OBJ)/engine-f32.js \
	    $(WEB_MODELS)

# The double engine as a function's body: the page reads it back as text (file:// allows a
# <script src>, not a fetch) to start a worker.
$(WEB)/engine-f64.js: $(WEB_OBJ)/engine-f64.js
	@mkdir -p $(dir $@)
	{ echo "// shapelab's engine in double precision, for the scenes drawn in double (index.html)"; \
	  echo "window.shapelabEngineSource = window.shapelabEngineSource || {};"; \
	  echo "window.shapelabEngineSource.f64 = function () {"; cat $<; echo "};"; } >$@.tmp
	mv $@.tmp $@

define web_lesson
$(WEB)/lessons/$(notdir $(1)).html: $(1) tools/web-lesson.sh
	sh tools/web-lesson.sh $(1) $(WEB)/lessons $(WEB_LESSON_FLAGS)
endef
$(foreach l,$(DEMO_LESSONS),$(eval $(call web_lesson,$(l))))
WEB_LESSON_PAGES := $(foreach l,$(DEMO_LESSONS),$(WEB)/lessons/$(notdir $(l)).html)

$(WEB)/lessons/index.html: $(WEB_LESSON_PAGES) tools/web-lesson.sh
	sh tools/web-lesson.sh --index $(WEB)/lessons $(WEB_LESSON_PAGES)

.PHONY: web web-page
web-page: $(WEB)/index.html $(WEB)/engine-f64.js
web: web-page $(WEB)/lessons/index.html
	@sh tools/web-size.sh $(WEB)

# The page's test (tests/web/check_web.c) drives headless Chromium over its DevTools pipe.
$(B)/tests/web/check_web: $(B)/obj/tests/web/cdp.o

format:
	clang-format -i src/*.[ch] src/layers/*.[ch] src/kernels/*.[ch] src/script/*.[ch] viz/*.[ch] \
	    tests/*.[ch] tests/fuzz/*.c tests/web/*.[ch] lessons/*.[ch] cli/*.[ch] bench/*.c tools/*.c web/*.c

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)
