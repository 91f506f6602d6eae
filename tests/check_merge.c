/* check_merge.c: the merge layers (src/layers/merge.c): Add, Subtract, Multiply, Average, Maximum,
 * Minimum, Concatenate and Dot.
 *
 *   1. PyTorch fixtures (tools/make_merge_fixtures.py, tests/fixtures/merge_*.safetensors): each
 *      holds inputs x0, x1, ..., the output y, an upstream gradient dy, the input gradients dx0,
 *      dx1, ... and, where the output carries one, its mask. The model here is the fixture's
 *      inputs, those listed in its "masked" metadata through Masking(), then the merge; so every
 *      mask rule of Keras's merges is compared with Keras's own code rewritten in torch;
 *   2. gradient checks in double, also through masks;
 *   3. shape and argument errors: each names both inputs, the axis that disagrees and the fix;
 *   4. the sentences, a worked example (docs/layers/merge.md), the summary of a two-input model;
 *   5. a ResNet-style model written as a learner would: its summary (counted by hand), training
 *      on a small task until the loss halves, and its gradient check.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "script/script.h"
#include "testutil.h"

/* "(2, 3, 4), (2, 1, 4)" -> shapes; returns how many. */
static int parse_shapes(const char *text, SlShape *out)
{
    SlArgs a;
    SlError e;
    sl_args_init(&a);
    ck_assert_msg(sl_args_parse(&a, text, &e) == 0 && a.n <= SL_MAX_IO, "%s", e.msg);
    for (int k = 0; k < a.n; k++) {
        ck_assert(a.val[k].kind == SL_V_TUPLE);
        out[k].rank = a.val[k].n;
        for (int i = 0; i < a.val[k].n; i++) {
            const SlValue *v = sl_value_item(&a, &a.val[k], i);
            out[k].dim[i] = v->kind == SL_V_NONE ? SL_NONE : (int)v->i;
        }
    }
    return a.n;
}

/* Is input k marked "1" in flags like "1,0" (NULL: none is)? */
static int flagged(const char *flags, int k)
{
    return flags && (int)strlen(flags) > 2 * k && flags[2 * k] == '1';
}

/* Inputs of these shapes (batch axis included), those flagged in `masked` ("1,0") through
 * Masking(), then a `before` layer on each if given (its type and arguments: "Dense", "3"), then
 * the merge. NULL with e set when a layer refuses. */
static SlModel *merge_model(const char *type, const char *args, int n, const SlShape *in,
                            const char *masked, const char *before_type, const char *before_args,
                            SlError *e)
{
    SlModel *m = sl_model_new(NULL);
    ck_assert_ptr_nonnull(m);
    int ids[SL_MAX_IO], tip[SL_MAX_IO], out;
    for (int k = 0; k < n; k++) {
        char shape[128];
        size_t u = (size_t)snprintf(shape, sizeof shape, "batch_shape=(");
        for (int i = 0; i < in[k].rank; i++) {
            if (in[k].dim[i] == SL_NONE)
                u += (size_t)snprintf(shape + u, sizeof shape - u, "%sNone", i ? ", " : "");
            else
                u += (size_t)snprintf(shape + u, sizeof shape - u, "%s%d", i ? ", " : "",
                                      in[k].dim[i]);
        }
        snprintf(shape + u, sizeof shape - u, ")");
        ids[k] = tip[k] = sl_model_input(m, sl_layer("InputLayer", shape, e), e);
        ck_assert_msg(ids[k] >= 0, "%s", e->msg);
        if (flagged(masked, k))
            tip[k] = sl_model_call(m, sl_layer("Masking", "", e), 1, &tip[k], NULL, e);
        if (before_type)
            tip[k] = sl_model_call(m, sl_layer(before_type, before_args, e), 1, &tip[k], NULL, e);
        ck_assert_msg(tip[k] >= 0, "%s", e->msg);
    }
    SlLayer *l = sl_layer(type, args, e);
    if (!l || (out = sl_model_call(m, l, n, tip, NULL, e)) < 0 ||
        sl_model_set_io(m, n, ids, 1, &out, e) < 0) {
        sl_model_free(m);
        return NULL;
    }
    return m;
}

/* ---- 1. PyTorch fixtures ---- */

static const char *const fixtures[] = {
    "merge_add",
    "merge_add_broadcast",
    "merge_subtract",
    "merge_multiply",
    "merge_average",
    "merge_maximum",
    "merge_minimum",
    "merge_concatenate",
    "merge_concatenate_axis1",
    "merge_concatenate_4d_axis2",
    "merge_dot_last",
    "merge_dot_pair",
    "merge_dot_2d",
    "merge_dot_2d_3d",
    "merge_dot_4d",
    "merge_dot_normalize",
    "merge_add_masked",
    "merge_add_masked_one",
    "merge_subtract_masked",
    "merge_average_masked",
    "merge_multiply_masked",
    "merge_multiply_masked_one",
    "merge_maximum_masked",
    "merge_maximum_masked_broadcast",
    "merge_minimum_masked_one",
    "merge_concatenate_masked_one",
    "merge_concatenate_masked",
    "merge_concatenate_masked_axis1",
    "merge_dot_masked",
};
enum { N_FIXTURES = sizeof fixtures / sizeof fixtures[0] };

START_TEST(test_fixture)
{
    const char *name = fixtures[_i];
    SlSafetensors st;
    SlError e;
    ck_assert_msg(sl_st_read(&st, tu_fixture(name), &e) == 0, "%s", e.msg);
    ck_assert_str_eq(sl_st_meta(&st, "format"), "shapelab-merge-fixture-1");
    int n = atoi(sl_st_meta(&st, "inputs"));
    const char *flags = sl_st_meta(&st, "masked");
    ck_assert(n >= 2 && n <= SL_MAX_IO && (int)strlen(flags) == 2 * n - 1);
    SlShape xs[SL_MAX_IO], ys;
    SlTensor in[SL_MAX_IO];
    for (int k = 0; k < n; k++) {
        char t[8];
        snprintf(t, sizeof t, "x%d", k);
        sl_real *x = tu_st_load(&st, t, &xs[k]);
        in[k] = sl_tensor(xs[k], x);
    }
    sl_clear_session();
    SlModel *m = merge_model(sl_st_meta(&st, "layer"), sl_st_meta(&st, "args"), n, xs, flags, NULL,
                             NULL, &e);
    ck_assert_msg(m != NULL, "%s: %s", name, e.msg);
    ck_assert_msg(sl_model_forward(m, in, 0, &e) == 0, "%s: %s", name, e.msg);
    sl_real *y = tu_st_load(&st, "y", &ys), *dy = tu_st_load(&st, "dy", NULL);
    SlTensor out = sl_model_output(m, 0);
    ck_assert_msg(sl_shape_equal(&out.shape, &ys), "%s: output shape differs", name);
    tu_assert_close("y", out.data, y, sl_tensor_count(&out));

    /* the output's mask: present exactly when Keras computes one, and equal to it */
    const SlEdge *t = &m->t[m->outputs[0]];
    const SlStTensor *want_mask = sl_st_find(&st, "mask");
    ck_assert_msg(!t->mask == !want_mask && t->has_mask == !!want_mask,
                  "%s: the output %s a mask, Keras's %s", name, t->mask ? "carries" : "has no",
                  want_mask ? "does" : "does not");
    if (want_mask) {
        size_t bt = (size_t)ys.dim[0] * (size_t)ys.dim[1];
        sl_real *mk = tu_st_load(&st, "mask", NULL);
        for (size_t i = 0; i < bt; i++)
            ck_assert_msg(t->mask[i] == (mk[i] != 0), "%s: mask at (%zu, %zu) is %d", name,
                          i / (size_t)ys.dim[1], i % (size_t)ys.dim[1], t->mask[i]);
        free(mk);
    }

    SlTensor d = sl_tensor(ys, dy);
    ck_assert_msg(sl_model_backward(m, &d, 0, &e) == 0, "%s", e.msg);
    for (int k = 0; k < n; k++) {
        char dn[8];
        snprintf(dn, sizeof dn, "dx%d", k);
        sl_real *dx = tu_st_load(&st, dn, NULL);
        SlTensor g = sl_model_input_grad(m, k);
        tu_assert_close(dn, g.data, dx, sl_tensor_count(&g));
        free(dx);
        free(in[k].data);
    }
    free(y), free(dy);
    sl_model_free(m);
    sl_st_free(&st);
}
END_TEST

#ifdef SL_DOUBLE
/* ---- 2. gradient checks in double ---- */

typedef struct GcCase {
    const char *type, *args, *shapes;
    const char *masked; /* "1,0": these inputs go through Masking() and a Dense(3), and their
                           steps where (sample + step + input) % 3 == 2 are padding; NULL: none */
} GcCase;

static const GcCase gc_cases[] = {
    {"Add", "", "(2, 3, 4), (2, 1, 4), (2, 4)", NULL},
    {"Subtract", "", "(2, 3, 4), (2, 3, 1)", NULL},
    {"Multiply", "", "(2, 3, 4), (2, 3, 4), (2, 1, 4)", NULL},
    {"Average", "", "(2, 3, 4), (2, 3, 4)", NULL},
    {"Maximum", "", "(2, 3, 4), (2, 1, 4)", NULL},
    {"Minimum", "", "(2, 3, 4), (2, 3, 4), (2, 3, 4)", NULL},
    {"Concatenate", "", "(2, 3, 4), (2, 3, 2)", NULL},
    {"Concatenate", "axis=1", "(2, 3, 4), (2, 2, 4), (2, 1, 4)", NULL},
    {"Concatenate", "axis=-2", "(2, 2, 3, 2), (2, 2, 1, 2)", NULL},
    {"Dot", "axes=-1", "(2, 3, 4), (2, 5, 4)", NULL},
    {"Dot", "axes=(1, 2)", "(2, 3, 4), (2, 5, 3)", NULL},
    {"Dot", "axes=1", "(3, 4), (3, 4)", NULL},
    {"Dot", "axes=(1, 2)", "(2, 4), (2, 3, 4)", NULL},
    {"Dot", "axes=(2, 1)", "(2, 2, 3, 2), (2, 3, 2)", NULL},
    {"Dot", "axes=2, normalize=True", "(2, 3, 4), (2, 5, 4)", NULL},
    {"Dot", "axes=1, normalize=True", "(3, 4), (3, 4)", NULL},
    /* through masks: the gradient reaches the Dense layers before the merge only where the
     * merge's mask rules let it */
    {"Add", "", "(2, 4, 3), (2, 4, 3)", "1,1"},
    {"Subtract", "", "(2, 4, 3), (2, 4, 3)", "1,1"},
    {"Average", "", "(2, 4, 3), (2, 4, 3), (2, 4, 3)", "1,0,1"},
    {"Multiply", "", "(2, 4, 3), (2, 4, 3)", "1,1"},
    {"Multiply", "", "(2, 4, 3), (2, 4, 3), (2, 4, 3)", "1,0,1"},
    {"Maximum", "", "(2, 4, 3), (2, 4, 3)", "1,1"},
    {"Minimum", "", "(2, 4, 3), (2, 4, 3), (2, 4, 3)", "1,0,1"},
    {"Concatenate", "axis=1", "(2, 4, 3), (2, 2, 3)", "1,0"},
    {"Concatenate", "", "(2, 4, 3), (2, 4, 3)", "1,1"},
    {"Dot", "axes=(2, 2)", "(2, 4, 3), (2, 4, 3)", "1,1"},
};
enum { N_GC = sizeof gc_cases / sizeof gc_cases[0] };

START_TEST(test_gradcheck)
{
    const GcCase *c = &gc_cases[_i];
    SlShape in[SL_MAX_IO];
    int n = parse_shapes(c->shapes, in);
    SlError e;
    sl_clear_session();
    SlModel *m =
        merge_model(c->type, c->args, n, in, c->masked, c->masked ? "Dense" : NULL, "3", &e);
    ck_assert_msg(m != NULL, "%s(%s): %s", c->type, c->args, e.msg);
    ck_assert(sl_model_init_params(m, 3, &e) == 0);
    SlRng r = sl_rng(40 + (uint64_t)_i);
    sl_gradcheck_unzero_params(m, &r);
    SlTensor x[SL_MAX_IO];
    for (int k = 0; k < n; k++) {
        x[k] = sl_tensor(in[k], calloc(sl_shape_count(&in[k]), sizeof(sl_real)));
        sl_gradcheck_fill_input(&x[k], &r);
        for (int b = 0; flagged(c->masked, k) && b < in[k].dim[0];
             b++) /* padding: steps of zeros */
            for (int t = 0; t < in[k].dim[1]; t++)
                for (int f = 0; (b + t + k) % 3 == 2 && f < in[k].dim[2]; f++)
                    x[k].data[((size_t)b * in[k].dim[1] + t) * in[k].dim[2] + f] = 0;
    }
    SlGradcheckOptions o = sl_gradcheck_defaults();
    o.check_inputs = c->masked == NULL; /* a nudged padding step would stop being padding */
    SlGradcheckReport rep;
    ck_assert_msg(sl_gradcheck(m, x, &o, &rep, &e) == 0, "%s", e.msg);
    char table[4096];
    sl_gradcheck_format(&rep, table, sizeof table);
    ck_assert_msg(rep.ok && rep.max_err < 1e-6, "%s(%s) on %s:\n%s", c->type, c->args, c->shapes,
                  table);
    for (int k = 0; k < n; k++)
        free(x[k].data);
    sl_model_free(m);
}
END_TEST
#endif

/* ---- 3. errors ---- */

typedef struct MergeError {
    const char *type, *args, *shapes, *masked;
    const char *const must[4];
} MergeError;

static const MergeError shape_errors[] = {
    {"Concatenate",
     "axis=-1",
     "(None, 10, 32), (None, 12, 8)",
     NULL,
     {"layer 'concatenate': Concatenate(axis=-1) needs equal shapes except on axis -1: "
      "(None, 10, 32) and (None, 12, 8) differ on axis 1 (10 vs 12)",
      "Fix: make axis 1 the same size in both", "use axis=1", ""}},
    {"Concatenate",
     "",
     "(None, 16), (None, 20, 3)",
     NULL,
     {"same number of axes", "(None, 16) has 2, (None, 20, 3) has 3", "Fix:", "Flatten"}},
    {"Concatenate", "axis=0", "(None, 4), (None, 4)", NULL, {"the batch axis", "Fix: axis=-1"}},
    {"Concatenate", "axis=3", "(None, 4, 2), (None, 4, 2)", NULL, {"no such axis", "Fix:"}},
    {"Concatenate",
     "axis=1",
     "(None, None, 3), (None, 4, 3), (None, 4, 5)",
     NULL,
     {"(None, None, 3) and (None, 4, 5) differ on axis 2 (3 vs 5)"}},
    {"Add",
     "",
     "(None, 32), (None, 16)",
     NULL,
     {"layer 'add' (Add) adds, element by element, so every axis must agree",
      "(None, 32) and (None, 16) differ on axis 1 (32 vs 16)",
      "Fix: make both 32 there: a "
      "Dense(32)",
      "on the shortcut x"}},
    {"Add",
     "",
     "(None, 10, 32), (None, 12, 32)",
     NULL,
     {"(None, 10, 32) and (None, 12, 32) differ on axis 1 (10 vs 12)", "padding='same'", "strides",
      ""}},
    {"Maximum",
     "",
     "(None, 10, 32), (None, 16)",
     NULL,
     {"layer 'maximum' (Maximum) keeps the largest",
      "(None, 10, 32) and (None, 16) differ on axis -1 (the shapes line up from the last axis) (32 "
      "vs 16)",
      "", ""}},
    {"Multiply",
     "",
     "(None, 1, 4), (None, 5, 1), (None, 6, 4)",
     NULL,
     {"(None, 5, 1) and (None, 6, 4) differ on axis 1 (5 vs 6)"}},
    {"Subtract",
     "",
     "(None, 4), (None, 4), (None, 4)",
     NULL,
     {"layer 'subtract' (Subtract) takes exactly 2 tensors, got 3", "Fix:"}},
    {"Add",
     "",
     "(None, 4)",
     NULL,
     {"merges a list of tensors, got one tensor", "Add()([a, b])", "functional API"}},
    {"Average", "", "(4, 3), (5, 3)", NULL, {"different batch sizes: (4, 3) and (5, 3)", "Fix:"}},
    {"Add",
     "",
     "(None, 4, 3), (None, 2, 4, 3)",
     "1,0",
     {"input 0 (None, 4, 3) carries a mask", "(None, 2, 4, 3)", "Fix:"}},
    {"Dot",
     "axes=(1, 2)",
     "(None, 10, 32), (None, 12, 8)",
     NULL,
     {"layer 'dot': Dot(axes=(1, 2)) multiplies axis 1 of (None, 10, 32) with axis 2 of "
      "(None, 12, 8)",
      "10 vs 8", "Fix: make the two branches give the same size"}},
    {"Dot", "axes=1", "(None, 3, 4), (None, 5, 4)", NULL, {"3 vs 5", "e.g. axes=(2, 2) (both 4)"}},
    {"Dot", "axes=1", "(None, None, 4), (None, 5, 4)", NULL, {"None vs 5"}},
    {"Dot", "axes=0", "(None, 4), (None, 4)", NULL, {"axis 0 is the batch axis", "axes=-1"}},
    {"Dot", "axes=(1, 3)", "(None, 4), (None, 4, 2)", NULL, {"no such axis"}},
    {"Dot", "axes=-1", "(None, 4), (None, 4), (None, 4)", NULL, {"takes exactly 2 tensors, got 3"}},
    {"Dot",
     "axes=1",
     "(None, 2, 2, 2, 2), (None, 2, 2, 2, 2)",
     NULL,
     {"would have 7 axes", "at most 5", "Fix:"}},
};
enum { N_SHAPE_ERRORS = sizeof shape_errors / sizeof shape_errors[0] };

START_TEST(test_shape_error)
{
    const MergeError *c = &shape_errors[_i];
    SlShape in[SL_MAX_IO];
    int n = parse_shapes(c->shapes, in);
    SlError e = {""};
    sl_clear_session();
    SlModel *m = merge_model(c->type, c->args, n, in, c->masked, NULL, NULL, &e);
    ck_assert_msg(m == NULL, "%s(%s) on %s was accepted", c->type, c->args, c->shapes);
    for (int k = 0; k < 4 && c->must[k] && c->must[k][0]; k++)
        ck_assert_msg(strstr(e.msg, c->must[k]), "message lacks \"%s\": %s", c->must[k], e.msg);
}
END_TEST

static const TuArgError arg_errors[] = {
    {"Dot", "", "missing the required argument 'axes'"},
    {"Dot", "axes=(1, 2, 3)", "one int or a pair of ints, like axes=-1 or axes=(1, 2); got 3"},
    {"Dot", "axes=(1,)", "got 1 number"},
    {"Dot", "axes='last'", "'axes'"},
    {"Dot", "axes=9", "an axis no tensor has"},
    {"Concatenate", "axis=9", "axis=9 does not exist"},
    {"Concatenate", "axis='features'", "'axis'"},
    {"Average", "axis=1", "unknown keyword argument 'axis'"},
    {"Add", "3", "positional"},
};
enum { N_ARG_ERRORS = sizeof arg_errors / sizeof arg_errors[0] };

START_TEST(test_arg_error)
{
    tu_check_arg_error(&arg_errors[_i]);
}
END_TEST

/* ---- 4. sentences, a worked example, a summary ---- */

static const char *why(const char *type, const char *args, const char *shapes, const char *masked)
{
    static char buf[256];
    SlShape in[SL_MAX_IO];
    int n = parse_shapes(shapes, in);
    SlError e;
    sl_clear_session();
    SlModel *m = merge_model(type, args, n, in, masked, NULL, NULL, &e);
    ck_assert_msg(m != NULL, "%s", e.msg);
    snprintf(buf, sizeof buf, "%s", m->nodes[m->n_nodes - 1].why);
    sl_model_free(m);
    return buf;
}

START_TEST(test_explain_sentences)
{
    ck_assert_str_eq(why("Concatenate", "axis=-1", "(None, 16), (None, 16)", NULL),
                     "Concatenate joins (None, 16) and (None, 16) along axis -1 (16 + 16); every "
                     "other axis must agree: -> (None, 32)");
    ck_assert_str_eq(why("Add", "", "(None, 32), (None, 32)", NULL),
                     "Add adds, element by element, so every axis must agree (or be 1 and "
                     "repeat): (None, 32) + (None, 32) -> (None, 32)");
    ck_assert_str_eq(why("Maximum", "", "(None, 10, 8), (None, 1, 8), (None, 8)", NULL),
                     "Maximum keeps the largest, element by element, so every axis must agree (or "
                     "be 1 and repeat): max((None, 10, 8), (None, 1, 8), (None, 8)) -> (None, 10, "
                     "8)");
    ck_assert_str_eq(why("Dot", "axes=(1, 2)", "(None, 3, 4), (None, 5, 3)", NULL),
                     "Dot multiplies axis 1 of (None, 3, 4) with axis 2 of (None, 5, 3) and sums "
                     "over those 3 pairs; the other axes stay: -> (None, 4, 5)");
    ck_assert_msg(strstr(why("Dot", "axes=-1, normalize=True", "(None, 6), (None, 6)", NULL),
                         "each scaled to length 1 (cosine similarity), and sums over those 6 "
                         "pairs; the other axes stay: -> (None, 1)"),
                  "%s", why("Dot", "axes=-1, normalize=True", "(None, 6), (None, 6)", NULL));
    /* Dot drops a mask, and the trace says so; Add keeps it when every input has one */
    ck_assert(
        strstr(why("Dot", "axes=2", "(None, 4, 3), (None, 4, 3)", "1,1"), "the mask stops here"));
    ck_assert(!strstr(why("Add", "", "(None, 4, 3), (None, 4, 3)", "1,1"), "mask"));
    ck_assert(strstr(why("Add", "", "(None, 4, 3), (None, 4, 3)", "1,0"), "the mask stops here"));
}
END_TEST

/* docs/layers/merge.md works these by hand. */
START_TEST(test_hand_examples)
{
    SlShape in[2];
    SlError e;
    /* Dot(axes=2): rows of x against rows of z, [[1, 2], [3, 4]] . [[5, 6], [7, 8]]^T */
    parse_shapes("(1, 2, 2), (1, 2, 2)", in);
    sl_clear_session();
    SlModel *m = merge_model("Dot", "axes=2", 2, in, NULL, NULL, NULL, &e);
    ck_assert_msg(m != NULL, "%s", e.msg);
    sl_real x[4] = {1, 2, 3, 4}, z[4] = {5, 6, 7, 8}, ones[4] = {1, 1, 1, 1};
    SlTensor t[2] = {sl_tensor(in[0], x), sl_tensor(in[1], z)};
    ck_assert(sl_model_forward(m, t, 0, &e) == 0);
    sl_real y[4] = {17, 23, 39, 53}, dx[4] = {12, 14, 12, 14}, dz[4] = {4, 6, 4, 6};
    tu_assert_close("Dot y", sl_model_output(m, 0).data, y, 4);
    SlTensor g = sl_tensor(sl_model_output(m, 0).shape, ones);
    ck_assert(sl_model_backward(m, &g, 0, &e) == 0);
    tu_assert_close("Dot dx", sl_model_input_grad(m, 0).data, dx, 4);
    tu_assert_close("Dot dz", sl_model_input_grad(m, 1).data, dz, 4);
    sl_model_free(m);

    /* normalize=True: (3, 4) and (4, 3) scaled to length 1, 0.6*0.8 + 0.8*0.6 = 0.96 */
    parse_shapes("(1, 2), (1, 2)", in);
    m = merge_model("Dot", "axes=1, normalize=True", 2, in, NULL, NULL, NULL, &e);
    ck_assert_msg(m != NULL, "%s", e.msg);
    sl_real u[2] = {3, 4}, v[2] = {4, 3}, cos[1] = {(sl_real)0.96};
    t[0] = sl_tensor(in[0], u), t[1] = sl_tensor(in[1], v);
    ck_assert(sl_model_forward(m, t, 0, &e) == 0);
    tu_assert_close("cosine", sl_model_output(m, 0).data, cos, 1);
    sl_model_free(m);

    /* Add with a repeated row: [[1, 2], [3, 4]] + [[10, 20]]; the row's gradient sums 2 rows */
    parse_shapes("(1, 2, 2), (1, 1, 2)", in);
    m = merge_model("Add", "", 2, in, NULL, NULL, NULL, &e);
    ck_assert_msg(m != NULL, "%s", e.msg);
    sl_real row[2] = {10, 20}, sum[4] = {11, 22, 13, 24}, drow[2] = {2, 2};
    t[0] = sl_tensor(in[0], x), t[1] = sl_tensor(in[1], row);
    ck_assert(sl_model_forward(m, t, 0, &e) == 0);
    tu_assert_close("Add y", sl_model_output(m, 0).data, sum, 4);
    ck_assert(sl_model_backward(m, &g, 0, &e) == 0);
    tu_assert_close("Add d(row)", sl_model_input_grad(m, 1).data, drow, 2);
    sl_model_free(m);
}
END_TEST

/* Run a script text; its model (free the script). */
static SlScript *script_model(const char *what, const char *text, SlModel **m)
{
    SlScriptOptions quiet = {0};
    SlError e;
    SlScript *s = sl_script_run_text(what, text, strlen(text), &quiet, &e);
    ck_assert_msg(s != NULL, "%s", e.msg);
    *m = sl_script_model(s, &e);
    ck_assert_msg(*m != NULL, "%s", e.msg);
    return s;
}

static char *summary_text(const SlModel *m)
{
    static char buf[8192];
    FILE *f = fmemopen(buf, sizeof buf, "w");
    SlError e;
    ck_assert_ptr_nonnull(f);
    ck_assert_msg(sl_model_summary(m, 0, f, &e) == 0, "%s", e.msg);
    fclose(f);
    return buf;
}

/* QUESTIONS.md item 17's model: the summary Keras prints (2.x's layout), with its Connected to. */
START_TEST(test_summary_two_inputs)
{
    SlModel *m;
    sl_clear_session();
    SlScript *s = script_model("17_functional_merge.py",
                               "from keras.models import Model\n"
                               "from keras.layers import Input, LSTM, Dense, Concatenate, Add\n"
                               "series = Input(shape=(20, 3), name='series')\n"
                               "meta = Input(shape=(5,), name='meta')\n"
                               "h = LSTM(16)(series)\n"
                               "m = Dense(16, activation='relu')(meta)\n"
                               "joined = Concatenate(axis=-1)([h, m])\n"
                               "x = Dense(32, activation='relu')(joined)\n"
                               "x = Add()([x, joined])\n"
                               "out = Dense(1)(x)\n"
                               "model = Model(inputs=[series, meta], outputs=out)\n",
                               &m);
    const char *want =
        "Model: \"model\"\n"
        "__________________________________________________________________________________________"
        "________\n"
        "Layer (type)                    Output Shape         Param #     Connected to           "
        "          \n"
        "=========================================================================================="
        "========\n"
        "series (InputLayer)             [(None, 20, 3)]      0                                   "
        "         \n"
        "__________________________________________________________________________________________"
        "________\n"
        "meta (InputLayer)               [(None, 5)]          0                                   "
        "         \n"
        "__________________________________________________________________________________________"
        "________\n"
        "lstm (LSTM)                     (None, 16)           1280        series[0][0]            "
        "         \n"
        "__________________________________________________________________________________________"
        "________\n"
        "dense (Dense)                   (None, 16)           96          meta[0][0]              "
        "         \n"
        "__________________________________________________________________________________________"
        "________\n"
        "concatenate (Concatenate)       (None, 32)           0           lstm[0][0]              "
        "         \n"
        "                                                                 dense[0][0]             "
        "         \n"
        "__________________________________________________________________________________________"
        "________\n"
        "dense_1 (Dense)                 (None, 32)           1056        concatenate[0][0]       "
        "         \n"
        "__________________________________________________________________________________________"
        "________\n"
        "add (Add)                       (None, 32)           0           dense_1[0][0]           "
        "         \n"
        "                                                                 concatenate[0][0]       "
        "         \n"
        "__________________________________________________________________________________________"
        "________\n"
        "dense_2 (Dense)                 (None, 1)            33          add[0][0]               "
        "         \n"
        "=========================================================================================="
        "========\n"
        "Total params: 2,465\n"
        "Trainable params: 2,465\n"
        "Non-trainable params: 0\n"
        "__________________________________________________________________________________________"
        "________\n";
    ck_assert_str_eq(summary_text(m), want);
    sl_script_free(s);
}
END_TEST

/* ---- 5. a ResNet-style model, written as a learner would ---- */

/* Two residual blocks: the first adds its input back as it is (the channels agree); the second
 * changes 4 channels to 8, so its shortcut is a 1x1 Conv2D that projects them. */
static const char *resnet_py =
    "from keras import layers, Input, Model\n"
    "\n"
    "def block(x, filters):\n"
    "    y = layers.Conv2D(filters, 3, padding='same')(x)\n"
    "    y = layers.Activation('relu')(y)\n"
    "    y = layers.Conv2D(filters, 3, padding='same')(y)\n"
    "    y = layers.Add()([x, y])             # x already has `filters` channels\n"
    "    return layers.Activation('relu')(y)\n"
    "\n"
    "def projection_block(x, filters):\n"
    "    y = layers.Conv2D(filters, 3, padding='same')(x)\n"
    "    y = layers.Activation('relu')(y)\n"
    "    y = layers.Conv2D(filters, 3, padding='same')(y)\n"
    "    shortcut = layers.Conv2D(filters, 1)(x)   # 1x1: x's channels become `filters`\n"
    "    y = layers.Add()([shortcut, y])\n"
    "    return layers.Activation('relu')(y)\n"
    "\n"
    "inputs = Input(shape=(8, 8, 1))\n"
    "x = layers.Conv2D(4, 3, padding='same', activation='relu')(inputs)\n"
    "x = block(x, 4)\n"
    "x = projection_block(x, 8)\n"
    "x = layers.GlobalAveragePooling2D()(x)\n"
    "outputs = layers.Dense(1)(x)\n"
    "model = Model(inputs, outputs)\n"
    "model.compile(loss='mse', optimizer='adam')\n";

/* Counted by hand: a Conv2D has kh*kw*in*filters + filters weights.
 *   conv2d    3*3*1*4 + 4 = 40      block:            conv2d_1 3*3*4*4 + 4 = 148, conv2d_2 148
 *   projection_block: conv2d_3 3*3*4*8 + 8 = 296, conv2d_4 3*3*8*8 + 8 = 584,
 *                     conv2d_5 (the 1x1 shortcut) 1*1*4*8 + 8 = 40
 *   dense     8*1 + 1 = 9
 *   total     40 + 148 + 148 + 296 + 584 + 40 + 9 = 1,265 */
static const struct {
    const char *name, *shape;
    long params;
} resnet_rows[] = {
    {"input_1", "(None, 8, 8, 1)", 0},
    {"conv2d", "(None, 8, 8, 4)", 40},
    {"conv2d_1", "(None, 8, 8, 4)", 148},
    {"activation", "(None, 8, 8, 4)", 0},
    {"conv2d_2", "(None, 8, 8, 4)", 148},
    {"add", "(None, 8, 8, 4)", 0},
    {"activation_1", "(None, 8, 8, 4)", 0},
    {"conv2d_3", "(None, 8, 8, 8)", 296},
    {"activation_2", "(None, 8, 8, 8)", 0},
    {"conv2d_4", "(None, 8, 8, 8)", 584},
    {"conv2d_5", "(None, 8, 8, 8)", 40},
    {"add_1", "(None, 8, 8, 8)", 0},
    {"activation_3", "(None, 8, 8, 8)", 0},
    {"global_average_pooling2d", "(None, 8)", 0},
    {"dense", "(None, 1)", 9},
};
enum { N_RESNET_ROWS = sizeof resnet_rows / sizeof resnet_rows[0] };

START_TEST(test_resnet_summary)
{
    SlModel *m;
    sl_clear_session();
    SlScript *s = script_model("resnet.py", resnet_py, &m);
    ck_assert_int_eq(m->n_nodes, N_RESNET_ROWS);
    for (int i = 0; i < N_RESNET_ROWS; i++) {
        char shape[96];
        const SlNode *nd = &m->nodes[i];
        sl_shape_str(&nd->sym.out[0], shape, sizeof shape);
        ck_assert_str_eq(nd->layer->name, resnet_rows[i].name);
        ck_assert_msg(!strcmp(shape, resnet_rows[i].shape), "%s: %s, expected %s",
                      resnet_rows[i].name, shape, resnet_rows[i].shape);
        ck_assert_int_eq((long)sl_layer_count_params(nd->layer), resnet_rows[i].params);
    }
    const char *text = summary_text(m);
    ck_assert_msg(strstr(text, "Total params: 1,265\n"), "%s", text);
    /* each Add lists both of its inputs in the Connected to column */
    ck_assert_msg(strstr(text, "add (Add)                       (None, 8, 8, 4)      0           "
                               "conv2d[0][0]                     \n"
                               "                                                                 "
                               "conv2d_2[0][0]"),
                  "%s", text);
    ck_assert_msg(strstr(text, "add_1 (Add)                     (None, 8, 8, 8)      0           "
                               "conv2d_5[0][0]                   \n"
                               "                                                                 "
                               "conv2d_4[0][0]"),
                  "%s", text);
    sl_script_free(s);
}
END_TEST

/* A task for it: 8x8 images of values in [0, 1); the target is how much the image's bright pixels
 * cluster (the mean over pixels of x * its right neighbour), standardized to mean 0 and variance
 * 1, so a model that only learns the mean stays at a loss near 1. */
static void resnet_data(int n, sl_real *x, sl_real *y)
{
    SlRng r = sl_rng(2024);
    double mean = 0, var = 0;
    for (int s = 0; s < n; s++) {
        sl_real *img = x + (size_t)s * 64;
        double scale = 0.2 + 0.8 * sl_rng_uniform(&r); /* images differ in contrast */
        for (int i = 0; i < 64; i++)
            img[i] = (sl_real)(scale * sl_rng_uniform(&r));
        double t = 0;
        for (int i = 0; i < 8; i++)
            for (int j = 0; j + 1 < 8; j++)
                t += (double)img[i * 8 + j] * (double)img[i * 8 + j + 1];
        y[s] = (sl_real)(t / 56);
        mean += y[s];
    }
    mean /= n;
    for (int s = 0; s < n; s++)
        var += (y[s] - mean) * (y[s] - mean);
    double sd = sqrt(var / n);
    for (int s = 0; s < n; s++)
        y[s] = (sl_real)((y[s] - mean) / sd);
}

START_TEST(test_resnet_trains)
{
    enum { N = 256 };
    static sl_real x[N * 64], y[N];
    resnet_data(N, x, y);
    SlModel *m;
    sl_clear_session();
    SlScript *s = script_model("resnet.py", resnet_py, &m);
    SlError e;
    ck_assert(sl_model_init_params(m, 1, &e) == 0);
    SlTensor X = sl_tensor(sl_shape_of(4, (int[]){N, 8, 8, 1}), x);
    SlTensor Y = sl_tensor(sl_shape_of(2, (int[]){N, 1}), y);
    SlLogs before, after;
    ck_assert_msg(sl_model_evaluate(m, &X, &Y, NULL, 0, &before, &e) == 0, "%s", e.msg);
    SlFitOptions o = sl_fit_defaults();
    o.epochs = 30;
    o.verbose = 0;
    o.seed = 3;
    ck_assert_msg(sl_model_fit(m, &X, &Y, &o, NULL, &e) == 0, "%s", e.msg);
    ck_assert_msg(sl_model_evaluate(m, &X, &Y, NULL, 0, &after, &e) == 0, "%s", e.msg);
    double l0 = sl_logs_get(&before, "loss"), l1 = sl_logs_get(&after, "loss");
    ck_assert_msg(l1 < 0.5 * l0, "the loss went from %g to %g, not below half", l0, l1);
    sl_script_free(s);
}
END_TEST

#ifdef SL_DOUBLE
START_TEST(test_resnet_gradcheck)
{
    SlModel *m;
    sl_clear_session();
    SlScript *s = script_model("resnet.py", resnet_py, &m);
    SlError e;
    ck_assert(sl_model_init_params(m, 1, &e) == 0);
    SlRng r = sl_rng(8);
    sl_gradcheck_unzero_params(m, &r);
    static sl_real x[2 * 64];
    SlTensor X = sl_tensor(sl_shape_of(4, (int[]){2, 8, 8, 1}), x);
    sl_gradcheck_fill_input(&X, &r);
    SlGradcheckOptions o = sl_gradcheck_defaults();
    SlGradcheckReport rep;
    ck_assert_msg(sl_gradcheck(m, &X, &o, &rep, &e) == 0, "%s", e.msg);
    char table[4096];
    sl_gradcheck_format(&rep, table, sizeof table);
    ck_assert_msg(rep.ok && rep.max_err < 1e-6, "%s", table);
    sl_script_free(s);
}
END_TEST
#endif

static Suite *suite(void)
{
    Suite *s = suite_create("merge");
    TCase *tc = tcase_create("pytorch fixtures");
    tcase_set_timeout(tc, 30);
    tcase_add_loop_test(tc, test_fixture, 0, N_FIXTURES);
    suite_add_tcase(s, tc);
#ifdef SL_DOUBLE
    tc = tcase_create("gradient checks");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_gradcheck, 0, N_GC);
    tcase_add_test(tc, test_resnet_gradcheck);
    suite_add_tcase(s, tc);
#endif
    tc = tcase_create("errors, sentences, summaries");
    tcase_set_timeout(tc, 30);
    tcase_add_loop_test(tc, test_shape_error, 0, N_SHAPE_ERRORS);
    tcase_add_loop_test(tc, test_arg_error, 0, N_ARG_ERRORS);
    tcase_add_test(tc, test_explain_sentences);
    tcase_add_test(tc, test_hand_examples);
    tcase_add_test(tc, test_summary_two_inputs);
    tcase_add_test(tc, test_resnet_summary);
    suite_add_tcase(s, tc);
    tc = tcase_create("resnet training");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_resnet_trains);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(suite()) ? EXIT_FAILURE : EXIT_SUCCESS;
}
