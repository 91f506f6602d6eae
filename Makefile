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

$(1)/libshapelab_viz.a: $$(VIZ_SRC:%.c=$(1)/obj/%.o)
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
	$$(CC) $$(CFLAGS) $(2) $$(CHECK_CFLAGS) -Isrc -Iviz -DSL_FIXTURES='"tests/fixtures"' \
	    -DSL_BUILD_DIR='"$(1)"' -DSL_SHARED_MODELS='"../shared/models"' -c $$< -o $$@

$(1)/tests/%: $(1)/obj/tests/%.o $(1)/obj/tests/testutil.o $(1)/libshapelab_viz.a $(1)/libshapelab.a
	@mkdir -p $$(dir $$@)
	$$(CC) $$(CFLAGS) -o $$@ $$^ $$(CHECK_LIBS) $$(SDL_LIBS) $$(LDLIBS)

$(1)-all: $(1)/libshapelab.a $(1)/libshapelab_viz.a $(1)/shapelab $(LESSON_SRC:lessons/%.c=$(1)/lessons/%) \
          $(TEST_SRC:tests/%.c=$(1)/tests/%)
endef

$(eval $(call variant,$(B),))
$(eval $(call variant,$(B)/f64,-DSL_DOUBLE))

.PHONY: all deps test demo asan bench clean format
.SECONDARY:

all: $(B)-all $(B)/f64-all

deps:
	@sh tools/install-deps.sh

TESTS_F32 := $(TEST_SRC:tests/%.c=$(B)/tests/%)
TESTS_F64 := $(TEST_SRC:tests/%.c=$(B)/f64/tests/%)

test: deps
	@$(MAKE) -s --no-print-directory all
	@sh tools/run-tests.sh $(TESTS_F32) -- $(TESTS_F64) -- $(LESSON_SRC:lessons/%.c=$(B)/lessons/%) \
	    $(LESSON_SRC:lessons/%.c=$(B)/f64/lessons/%)

# The gradient-check lesson runs in the double build: float32 cannot show errors below 1e-6.
DEMO_LESSONS := $(patsubst $(B)/lessons/%gradient_check,$(B)/f64/lessons/%gradient_check,\
                  $(LESSON_SRC:lessons/%.c=$(B)/lessons/%))

demo: deps
	@$(MAKE) -s --no-print-directory $(B)-all $(B)/f64-all
	@sh tools/run-lessons.sh $(DEMO_LESSONS)

asan:
	@$(MAKE) --no-print-directory B=build/asan OPT="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer" \
	    LDLIBS="-lm -lpthread -fsanitize=address,undefined" test-asan-run

test-asan-run: $(B)-all $(B)/f64-all
	@LSAN_OPTIONS=suppressions=$(CURDIR)/tools/lsan.supp:print_suppressions=0 sh tools/run-tests.sh $(TESTS_F32) -- $(TESTS_F64) -- $(LESSON_SRC:lessons/%.c=$(B)/lessons/%) \
	    $(LESSON_SRC:lessons/%.c=$(B)/f64/lessons/%)

# make bench: the question models beside PyTorch (bench/run.sh: pinned, one table), then the other
# measurements in bench/, in float32 and float64.
BENCH_SRC := $(wildcard bench/*.c)
BENCH_MORE := $(filter-out bench/bench_models.c,$(BENCH_SRC))
BENCH_MORE_BIN := $(BENCH_MORE:bench/%.c=$(B)/bench/%) $(BENCH_MORE:bench/%.c=$(B)/f64/bench/%)
bench: $(B)/bench/bench_models $(BENCH_MORE_BIN)
	@sh bench/run.sh $(B)/bench/bench_models
	@for b in $(BENCH_MORE_BIN); do $$b; done

format:
	clang-format -i src/*.[ch] src/layers/*.[ch] src/kernels/*.[ch] src/script/*.[ch] viz/*.[ch] tests/*.[ch] lessons/*.[ch] cli/*.[ch] bench/*.c

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)
