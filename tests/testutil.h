/* testutil.h: helpers shared by the Check suites. */
#ifndef SL_TESTUTIL_H
#define SL_TESTUTIL_H

#include <check.h>

#include "script/script.h"
#include "sl.h"

/* Tolerances for comparing with PyTorch's float64 fixtures: numpy.allclose's rule,
 * |a - b| <= atol + rtol * |b|. float32: rtol 1e-5, atol 1e-6; float64: rtol 1e-10, atol 1e-12. */
#ifdef SL_DOUBLE
#define TU_RTOL 1e-10
#define TU_ATOL 1e-12
#else
#define TU_RTOL 1e-5
#define TU_ATOL 1e-6
#endif

/* Index of the first element that differs beyond the tolerance, or -1. */
long tu_mismatch(const sl_real *a, const sl_real *b, size_t n, double rtol, double atol);
/* ck_assert that a and b agree, naming `what` and the first bad index. */
void tu_assert_close(const char *what, const sl_real *a, const sl_real *b, size_t n);

/* A model of one layer on an input of this shape (batch axis included, kept concrete). */
SlModel *tu_one_layer(const char *type, const char *args, SlShape in, SlError *e);

/* Path of a fixture file: tests/fixtures/<name>.safetensors. */
const char *tu_fixture(const char *name);

/* A tensor of a fixture in a fresh buffer (free it), its shape into shape (may be NULL); fails
 * the test when the tensor is missing. */
sl_real *tu_st_load(const SlSafetensors *st, const char *name, SlShape *shape);
/* Check one layer against its PyTorch fixture (check_layers.c's header says what a fixture
 * holds): the output, the input gradient and every weight's gradient; with the fast kernels and
 * with the plain loops (tu_both_kernels). */
void tu_check_layer_fixture(const char *name);
/* Run check(arg) twice, with the fast kernels and with the plain loops (src/kernels/kernels.h):
 * each run's assertions must hold, and every array the two runs passed to tu_assert_close must
 * agree between them within the same tolerance. The kernel setting is restored after. */
void tu_both_kernels(void (*check)(const void *arg), const void *arg);
/* Gradient check in double of one layer on a seeded input of shape s: max error below 1e-6. */
void tu_gradcheck_layer(const char *type, const char *args, SlShape s, int training, uint64_t seed);

/* A layer on an input shape it must refuse: the message must hold each non-empty `must`. */
typedef struct TuShapeError {
    const char *type, *args;
    int rank, dims[SL_MAX_RANK];
    const char *const must[4];
} TuShapeError;
void tu_check_shape_error(const TuShapeError *c);
/* A layer's arguments it must refuse, with `must` in the message. */
typedef struct TuArgError {
    const char *type, *args, *must;
} TuArgError;
void tu_check_arg_error(const TuArgError *c);

/* The summary of a model written as a learner writes it (the script's model), as `shapelab
 * summary` prints it, in a fresh buffer (free it); fails the test when the script is refused. */
char *tu_script_summary(const char *file, const char *text);

/* An allocator that counts calls in tu_n_allocs (install it with sl_set_allocator). */
extern long tu_n_allocs;
extern const SlAllocator tu_counting_allocator;
/* An allocator whose memory has run out (it still releases). */
extern const SlAllocator tu_failing_allocator;

/* Files the tests write go in one temporary directory, made before the run and removed (with
 * what is in it) after: tu_run_in_tmpdir instead of tu_run. */
const char *tu_tmp_path(const char *name);
int tu_run_in_tmpdir(Suite *s);

/* ---- model scripts (src/script/) ---- */

/* What a model must look like: one row per layer call in summary order (a Sequential model's
 * implicit InputLayer left out, a functional model's Input()s included). */
enum { TU_MAX_ROWS = 24 };
typedef struct TuExpect {
    int n;
    const char *shape[TU_MAX_ROWS]; /* as Keras prints it; a list for several outputs */
    long params[TU_MAX_ROWS];
    const char *name[TU_MAX_ROWS]; /* NULL where the source does not state the name */
    long total;
} TuExpect;
/* Every call's output shapes, parameters and name, and the model's total, as expected. */
void tu_check_model(const char *what, const SlModel *m, const TuExpect *x);
/* The message's last two lines quote the source line and put a caret under column `col`
 * (col 0: anywhere). */
void tu_assert_caret(const char *what, const char *msg, int col);
/* The first line of an error message (what it says, without the quoted source). */
void tu_first_line(const char *msg, char *buf, size_t n);
/* Run a script text ("t.py") that must build; returns the script (free it) and its model. */
SlScript *tu_script_ok(const char *what, const char *text, const SlScriptOptions *o, SlModel **m);
/* Run a script text that must fail; the first line of the error into buf. */
void tu_script_fail(const char *what, const char *text, const SlScriptOptions *o, char *buf,
                    size_t n);

/* Run a suite with Check, return the number of failures (for main's exit code). */
int tu_run(Suite *s);

#endif
