/* check_registry.c: every registered layer type, from the example its table declares.
 *
 * A layer type declares facts about itself (layer.h): what kind it is, how it treats the steps
 * axis, its window, the codes it reads, the scenes that draw it. Other code believes them, so this
 * suite checks them against what the layer does: a layer that says it acts on each step alone
 * must not let step t reach another output step, a window layer must not read outside its taps.
 * And every registered type, built from its example, must plan, run, explain itself, count its
 * parameters as its formula says, and pass a gradient check in double, so a new layer is tested
 * here the moment its registry line exists.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "layers/conv.h"
#include "testutil.h"

/* The example of type i: the layer, and a model of it alone on its example inputs (a Sequential
 * model for one input, a functional one for a merge's several), its inputs first, so the layer is
 * m->layers[n_in]. */
typedef struct Example {
    SlModel *m;
    const SlLayer *l;
    int n_in;
    SlShape in[SL_MAX_IO];
    SlTensor x[SL_MAX_IO]; /* seeded inputs: codes where the layer reads codes, else values away
                              from 0 */
} Example;

static void input_arg(SlShape in, char *buf, size_t n)
{
    size_t u = (size_t)snprintf(buf, n, "batch_shape=(");
    for (int k = 0; k < in.rank; k++)
        u += (size_t)snprintf(buf + u, n - u, "%s%d", k ? ", " : "", in.dim[k]);
    snprintf(buf + u, n - u, "%s)", in.rank == 1 ? "," : "");
}

/* 0 for the InputLayer, which takes no tensor. */
static int example_model(int i, Example *x)
{
    const SlLayerType *t = sl_layer_type_at(i);
    ck_assert_ptr_nonnull(t);
    memset(x, 0, sizeof *x);
    if (t->kind & SL_KIND_INPUT)
        return 0;
    SlError e;
    SlLayer *l = sl_layer_example(t, x->in, &x->n_in, &e);
    ck_assert_msg(l != NULL, "%s: its example does not build: %s", t->name, e.msg);
    char shape[128];
    SlModel *m = x->n_in == 1 ? sl_sequential(NULL) : sl_model_new(NULL);
    ck_assert_ptr_nonnull(m);
    if (x->n_in == 1) {
        input_arg(x->in[0], shape, sizeof shape);
        ck_assert_msg(sl_model_add(m, sl_layer("InputLayer", shape, &e), &e) == 0, "%s", e.msg);
        ck_assert_msg(sl_model_add(m, l, &e) == 0, "%s(%s) on %s: %s", t->name, t->example_args,
                      t->example_input, e.msg);
    } else {
        int ids[SL_MAX_IO], out;
        for (int k = 0; k < x->n_in; k++) {
            input_arg(x->in[k], shape, sizeof shape);
            ids[k] = sl_model_input(m, sl_layer("InputLayer", shape, &e), &e);
            ck_assert_msg(ids[k] >= 0, "%s", e.msg);
        }
        out = sl_model_call(m, l, x->n_in, ids, NULL, &e);
        ck_assert_msg(out >= 0, "%s(%s) on %s: %s", t->name, t->example_args, t->example_input,
                      e.msg);
        ck_assert_msg(sl_model_set_io(m, x->n_in, ids, 1, &out, &e) == 0, "%s", e.msg);
    }
    ck_assert_msg(sl_model_init_params(m, 5, &e) == 0, "%s", e.msg);
    SlRng r = sl_rng(9);
    sl_gradcheck_unzero_params(m, &r);
    x->m = m;
    x->l = l;
    r = sl_rng(17);
    for (int k = 0; k < x->n_in; k++) {
        sl_real *data = calloc(sl_shape_count(&x->in[k]), sizeof *data);
        ck_assert_ptr_nonnull(data);
        x->x[k] = sl_tensor(x->in[k], data);
        sl_gradcheck_fill_model_input(m, k, &x->x[k], &r);
    }
    return 1;
}

static void example_free(Example *x)
{
    for (int k = 0; k < x->n_in; k++)
        free(x->x[k].data);
    sl_model_free(x->m);
}

/* ---- 1. every example plans, runs, explains itself and counts as its formula says ---- */

START_TEST(test_example_runs)
{
    Example x;
    if (!example_model(_i, &x))
        return;
    const SlLayer *l = x.l;
    SlError e;
    ck_assert_msg(sl_model_forward(x.m, x.x, 0, &e) == 0, "%s: %s", l->type->name, e.msg);
    ck_assert_msg(strlen(x.m->nodes[x.n_in].why) > 10, "%s: no sentence explains its shape",
                  l->type->name);
    char f[256];
    l->type->formula(l, f, sizeof f);
    const char *eq = strrchr(f, '=');
    if (!eq)
        eq = strrchr(f, ':');
    ck_assert_msg(eq != NULL, "%s: formula '%s' states no count", l->type->name, f);
    ck_assert_msg(strtoull(eq + 1, NULL, 10) == sl_layer_count_params(l),
                  "%s: formula '%s', but the layer holds %zu parameters", l->type->name, f,
                  sl_layer_count_params(l));
    example_free(&x);
}
END_TEST

/* ---- 2. the declared facts hold ---- */

START_TEST(test_kind_and_names)
{
    const SlLayerType *t = sl_layer_type_at(_i);
    ck_assert_ptr_eq(sl_layer_type_find(t->name), t);
    for (const char *p = t->aliases; *p;) { /* each alias finds the type */
        char a[64];
        size_t w = strcspn(p, " ");
        snprintf(a, sizeof a, "%.*s", (int)w, p);
        ck_assert_msg(sl_layer_type_find(a) == t, "%s: alias '%s' finds another type", t->name, a);
        p += w + strspn(p + w, " ");
    }
    ck_assert_msg(t->snake[0] && t->summary[0], "%s: no snake name or summary", t->name);
    Example x;
    if (!example_model(_i, &x))
        return;
    const SlLayer *l = x.l;
    ck_assert_msg(!(t->kind & SL_KIND_WRAPPER) == (l->n_child == 0),
                  "%s: a wrapper holds an inner layer, and only a wrapper does", t->name);
    SlWindowGeom w;
    ck_assert_msg((l->steps == SL_STEPS_WINDOW) == t->window(l, 0, &w),
                  "%s: a window along the steps exactly when steps is SL_STEPS_WINDOW", t->name);
    SlSceneClaim c[SL_MAX_CLAIMS + 1];
    int n = t->scenes(l, c);
    ck_assert_msg(n >= 0 && n <= SL_MAX_CLAIMS, "%s: %d scene claims", t->name, n);
    for (int k = 0; k < n; k++)
        ck_assert_msg(c[k].scene[0] && c[k].why[0] && c[k].weight >= SL_SCENE_SHOWN &&
                          c[k].weight <= SL_SCENE_ABOUT,
                      "%s: claim %d is incomplete", t->name, k);
    example_free(&x);
}
END_TEST

/* A type written outside the registry that leaves an entry empty is told which, not crashed. */
START_TEST(test_every_entry_required)
{
    SlLayerType t = *sl_layer_type_find("Dense");
    t.codes = NULL;
    SlArgs a;
    sl_args_init(&a);
    SlError e;
    ck_assert(sl_args_parse(&a, "3", &e) == 0);
    ck_assert_ptr_null(sl_layer_of_type(&t, &a, &e));
    ck_assert_msg(strstr(e.msg, "leaves its `codes` entry empty"), "%s", e.msg);
}
END_TEST

/* A layer's string argument as it was made: positional or keyword, or its default. */
START_TEST(test_arg_str)
{
    SlError e;
    SlArgs a;
    char v[32];
    sl_args_init(&a);
    ck_assert(sl_args_parse(&a, "'sum'", &e) == 0);
    SlLayer *bi = sl_layer_wrap("Bidirectional", sl_layer("LSTM", "2", &e), &a, &e);
    ck_assert_msg(bi != NULL, "%s", e.msg);
    ck_assert_int_eq(sl_layer_arg_str(bi, "merge_mode", v, sizeof v), 0);
    ck_assert_str_eq(v, "sum");
    sl_layer_free(bi);
    sl_args_init(&a);
    bi = sl_layer_wrap("Bidirectional", sl_layer("GRU", "2", &e), &a, &e);
    ck_assert_int_eq(sl_layer_arg_str(bi, "merge_mode", v, sizeof v), 0);
    ck_assert_str_eq(v, "concat");
    ck_assert_int_eq(sl_layer_arg_str(bi, "units", v, sizeof v), -1);
    sl_layer_free(bi);
}
END_TEST

/* Run the example with input 0 replaced by x0; the output as a copy, and its shape. */
static sl_real *run(const Example *x, const sl_real *x0, SlShape *out)
{
    SlError e;
    SlTensor in[SL_MAX_IO];
    memcpy(in, x->x, sizeof in);
    in[0].data = (sl_real *)x0;
    ck_assert_msg(sl_model_forward(x->m, in, 0, &e) == 0, "%s", e.msg);
    SlTensor y = sl_model_output(x->m, 0);
    *out = y.shape;
    size_t n = sl_tensor_count(&y);
    sl_real *copy = malloc(n * sizeof *copy);
    ck_assert_ptr_nonnull(copy);
    memcpy(copy, y.data, n * sizeof *copy);
    return copy;
}

/* x with every value of step t (axis 1) changed: the next code, or a shift of 0.5. */
static void nudge_step(sl_real *x, SlShape in, int t, int codes)
{
    size_t inner = 1;
    for (int k = 2; k < in.rank; k++)
        inner *= (size_t)in.dim[k];
    for (int b = 0; b < in.dim[0]; b++)
        for (size_t j = 0; j < inner; j++) {
            sl_real *v = &x[((size_t)b * in.dim[1] + t) * inner + j];
            *v = codes ? (sl_real)(((long)*v + 1) % codes) : *v + (sl_real)0.5;
        }
}

/* Which output steps (axis 1) differ between y0 and y1. */
static void changed_steps(const sl_real *y0, const sl_real *y1, SlShape out, unsigned char *chg)
{
    size_t inner = 1;
    for (int k = 2; k < out.rank; k++)
        inner *= (size_t)out.dim[k];
    memset(chg, 0, (size_t)out.dim[1]);
    for (int b = 0; b < out.dim[0]; b++)
        for (int o = 0; o < out.dim[1]; o++)
            for (size_t j = 0; j < inner; j++) {
                size_t i = ((size_t)b * out.dim[1] + o) * inner + j;
                chg[o] |= y0[i] != y1[i];
            }
}

/* SL_STEPS_EACH: step t reaches output step t only. SL_STEPS_WINDOW: output step o reads only the
 * input steps o*s - pad + k*d of its window; a transposed window's input step t reaches only the
 * output steps t*s - pad + k*d. Each nudged step (of input 0) reaches some output. */
START_TEST(test_steps_fact_holds)
{
    SlShape out;
    Example ex;
    if (!example_model(_i, &ex))
        return;
    const SlLayer *l = ex.l;
    SlShape in = ex.in[0];
    SlSteps steps = l->steps;
    if (steps == SL_STEPS_ALL || in.rank < 2) {
        example_free(&ex);
        return;
    }
    int codes = l->type->codes(l);
    const sl_real *x = ex.x[0].data;
    sl_real *y0 = run(&ex, x, &out);
    size_t count = sl_shape_count(&in);
    sl_real *x1 = malloc(count * sizeof *x1);
    ck_assert_ptr_nonnull(x1);
    SlWindowGeom w;
    int pad = 0;
    if (steps == SL_STEPS_WINDOW) {
        ck_assert(l->type->window(l, 0, &w));
        ck_assert_int_eq(sl_window_out_len(&w, in.dim[1], &pad), out.dim[1]);
    } else {
        ck_assert_msg(out.rank >= 2 && out.dim[1] == in.dim[1],
                      "%s acts on each step, but its output %d steps, not %d", l->type->name,
                      out.rank >= 2 ? out.dim[1] : 0, in.dim[1]);
    }
    unsigned char chg[256];
    ck_assert_int_le(out.dim[1], (int)sizeof chg);
    int reached = 0;
    for (int t = 0; t < in.dim[1]; t++) {
        memcpy(x1, x, count * sizeof *x1);
        nudge_step(x1, in, t, codes);
        SlShape o1;
        sl_real *y1 = run(&ex, x1, &o1);
        changed_steps(y0, y1, out, chg);
        for (int o = 0; o < out.dim[1]; o++) {
            int reads = o == t;
            if (steps == SL_STEPS_WINDOW) {
                reads = 0;
                for (int k = 0; k < w.k; k++)
                    reads |=
                        w.transposed ? t * w.s - pad + k * w.d == o : o * w.s - pad + k * w.d == t;
            }
            ck_assert_msg(!chg[o] || reads,
                          "%s(%s): input step %d reaches output step %d, which its declared "
                          "steps/window say it does not read",
                          l->type->name, l->type->example_args, t, o);
            reached |= chg[o];
        }
        free(y1);
    }
    ck_assert_msg(reached, "%s: no input step reaches any output step", l->type->name);
    free(x1), free(y0);
    example_free(&ex);
}
END_TEST

/* SL_KIND_JOIN: the output is the inputs side by side along sl_layer_join_axis, in their order,
 * and equal to them on every other axis. */
static void check_join(const Example *x, const sl_real *y, SlShape out)
{
    const char *name = x->l->type->name;
    int ax = sl_layer_join_axis(x->l, out.rank), at = 0;
    ck_assert_msg(ax >= 1, "%s declares SL_KIND_JOIN but names no axis of %d", name, out.rank);
    size_t outer = 1, inner = 1;
    for (int a = 0; a < out.rank; a++)
        outer *= a < ax ? (size_t)out.dim[a] : 1, inner *= a > ax ? (size_t)out.dim[a] : 1;
    for (int k = 0; k < x->n_in; k++) {
        SlShape s = x->in[k];
        ck_assert_int_eq(s.rank, out.rank);
        for (int a = 0; a < out.rank; a++)
            ck_assert_msg(a == ax || s.dim[a] == out.dim[a], "%s: input %d differs on axis %d",
                          name, k, a);
        for (size_t o = 0; o < outer; o++)
            for (int i = 0; i < s.dim[ax]; i++)
                for (size_t j = 0; j < inner; j++)
                    ck_assert_msg(y[(o * out.dim[ax] + at + i) * inner + j] ==
                                      x->x[k].data[(o * s.dim[ax] + i) * inner + j],
                                  "%s: input %d is not at %d.. along axis %d", name, k, at, ax);
        at += s.dim[ax];
    }
    ck_assert_int_eq(at, out.dim[ax]);
}

/* Which element of `in` output element o (row-major) reads when in is broadcast to out: the axes
 * after the batch lined up from the last, an axis of size 1 or one that in lacks at index 0. */
static size_t broadcast_index(SlShape out, SlShape in, size_t o)
{
    size_t idx = 0, stride = 1;
    for (int a = out.rank - 1; a >= 0; a--) {
        int i = (int)(o % (size_t)out.dim[a]), b = a == 0 ? 0 : a - (out.rank - in.rank);
        o /= (size_t)out.dim[a];
        if (a > 0 && b < 1)
            continue;
        idx += (size_t)(in.dim[b] == 1 ? 0 : i) * stride;
        stride *= (size_t)in.dim[b];
    }
    return idx;
}

/* SL_KIND_ELEMENTWISE: the output has the broadcast shape, and a change of one element of input 0
 * reaches only the output elements that read it. */
static void check_elementwise(const Example *x, const sl_real *y0, SlShape out)
{
    const char *name = x->l->type->name;
    SlShape want = x->in[0];
    for (int k = 1; k < x->n_in; k++)
        want = x->in[k].rank > want.rank ? x->in[k] : want;
    for (int a = 1; a < want.rank; a++) {
        want.dim[a] = 1;
        for (int k = 0; k < x->n_in; k++) {
            int b = a - (want.rank - x->in[k].rank);
            want.dim[a] = b >= 1 && x->in[k].dim[b] != 1 ? x->in[k].dim[b] : want.dim[a];
        }
    }
    char a1[64], a2[64];
    ck_assert_msg(sl_shape_equal(&out, &want), "%s: output %s, broadcast gives %s", name,
                  sl_shape_str(&out, a1, sizeof a1), sl_shape_str(&want, a2, sizeof a2));
    size_t n0 = sl_shape_count(&x->in[0]), j = n0 / 2, n = sl_shape_count(&out);
    sl_real *x1 = malloc(n0 * sizeof *x1);
    ck_assert_ptr_nonnull(x1);
    int reached = 0;
    for (int sign = -1; sign <= 1 && !reached; sign += 2) { /* one of them wins a Maximum */
        memcpy(x1, x->x[0].data, n0 * sizeof *x1);
        x1[j] += (sl_real)(100 * sign);
        SlShape o1;
        sl_real *y1 = run(x, x1, &o1);
        for (size_t o = 0; o < n; o++) {
            ck_assert_msg(y1[o] == y0[o] || broadcast_index(out, x->in[0], o) == j,
                          "%s: element %zu of input 0 reaches output element %zu, which does not "
                          "read it",
                          name, j, o);
            reached |= y1[o] != y0[o];
        }
        free(y1);
    }
    ck_assert_msg(reached, "%s: element %zu of input 0 reaches no output", name, j);
    free(x1);
}

/* A merge's declared way of merging (SL_KIND_JOIN, SL_KIND_ELEMENTWISE: the shapes scene draws it
 * from these) is what it does with its example. */
START_TEST(test_merge_facts_hold)
{
    Example ex;
    if (!example_model(_i, &ex))
        return;
    const SlLayer *l = ex.l;
    int join = sl_layer_is(l, SL_KIND_JOIN), each = sl_layer_is(l, SL_KIND_ELEMENTWISE);
    ck_assert_msg(!(join || each) || sl_layer_is(l, SL_KIND_MERGE),
                  "%s: joins or combines elements, so it is a merge", l->type->name);
    ck_assert_msg(!(join && each), "%s: joins and combines elements at once", l->type->name);
    if (join || each) {
        SlShape out;
        sl_real *y0 = run(&ex, ex.x[0].data, &out);
        if (join)
            check_join(&ex, y0, out);
        else
            check_elementwise(&ex, y0, out);
        free(y0);
    } else {
        ck_assert_int_eq(sl_layer_join_axis(l, 3), -1);
    }
    example_free(&ex);
}
END_TEST

#ifdef SL_DOUBLE
/* ---- 3. every example passes a gradient check in double, in both modes ---- */

START_TEST(test_example_gradcheck)
{
    int i = _i / 2, training = _i % 2;
    Example x;
    if (!example_model(i, &x))
        return;
    SlGradcheckOptions o = sl_gradcheck_defaults();
    o.training = training;
    SlGradcheckReport rep;
    SlError e;
    ck_assert_msg(sl_gradcheck(x.m, x.x, &o, &rep, &e) == 0, "%s", e.msg);
    char table[4096];
    sl_gradcheck_format(&rep, table, sizeof table);
    ck_assert_msg(rep.ok && rep.max_err < 1e-6, "%s(%s), training=%d:\n%s", x.l->type->name,
                  x.l->type->example_args, training, table);
    example_free(&x);
}
END_TEST
#endif

static Suite *suite(void)
{
    Suite *s = suite_create("registry");
    int n = sl_layer_type_count();
    TCase *tc = tcase_create("examples");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_example_runs, 0, n);
    suite_add_tcase(s, tc);
    tc = tcase_create("facts");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_kind_and_names, 0, n);
    tcase_add_loop_test(tc, test_steps_fact_holds, 0, n);
    tcase_add_loop_test(tc, test_merge_facts_hold, 0, n);
    tcase_add_test(tc, test_every_entry_required);
    tcase_add_test(tc, test_arg_str);
    suite_add_tcase(s, tc);
#ifdef SL_DOUBLE
    tc = tcase_create("gradcheck");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_example_gradcheck, 0, 2 * n);
    suite_add_tcase(s, tc);
#endif
    return s;
}

int main(void)
{
    return tu_run(suite()) ? 1 : 0;
}
