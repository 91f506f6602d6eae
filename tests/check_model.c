/* check_model.c: building models (Sequential and functional), names, parameters, the plan, the
 * zero-allocation training step, the trace, masks and the first shape error a learner meets. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

static SlShape shape2(int a, int b)
{
    int d[2] = {a, b};
    return sl_shape_of(2, d);
}

static SlShape shape3(int a, int b, int c)
{
    int d[3] = {a, b, c};
    return sl_shape_of(3, d);
}

static void assert_shape(SlShape s, const char *want)
{
    char buf[96];
    ck_assert_str_eq(sl_shape_str(&s, buf, sizeof buf), want);
}

/* ../shared/models/14_multi_output.py, through the API. */
START_TEST(test_sequential_multi_output)
{
    SlError e;
    sl_clear_session();
    SlModel *m = sl_sequential(NULL);
    ck_assert_str_eq(m->name, "sequential");
    ck_assert(sl_model_add(m, sl_layer("Dense", "16 * 7, input_shape=(32,)", &e), &e) < 0);
    ck_assert_msg(strstr(e.msg, "only literal values"), "%s", e.msg);
    ck_assert(sl_model_add(m, sl_layer("Dense", "112, input_shape=(32,)", &e), &e) == 0);
    ck_assert(sl_model_add(m, sl_layer("Reshape", "(16, 7)", &e), &e) == 0);
    ck_assert(sl_model_add(m, sl_layer("Activation", "'softmax'", &e), &e) == 0);
    ck_assert_int_eq(m->n_nodes, 4); /* the implicit InputLayer, then the three */
    ck_assert_str_eq(m->nodes[0].layer->name, "dense_input");
    ck_assert_str_eq(m->nodes[1].layer->name, "dense");
    ck_assert_str_eq(m->nodes[2].layer->name, "reshape");
    ck_assert_str_eq(m->nodes[3].layer->name, "activation");
    assert_shape(m->t[m->nodes[1].out[0]].shape, "(None, 112)");
    assert_shape(sl_model_output_shape(m, 0), "(None, 16, 7)");
    ck_assert_uint_eq(sl_model_count_params(m), 3696);
    ck_assert_int_eq(m->n_params, 2);
    ck_assert_str_eq(m->param_names[0], "dense/kernel");
    ck_assert_str_eq(m->param_names[1], "dense/bias");
    ck_assert(strstr(m->nodes[1].layer->notice, "Keras 3 starts the model with "
                                                "keras.Input(shape=(32,))"));
    sl_model_free(m);
}
END_TEST

/* ../shared/models/15_regression.py: one counter per class gives dense, dense_1. */
START_TEST(test_sequential_regression_names)
{
    SlError e;
    sl_clear_session();
    SlModel *m = sl_sequential(NULL);
    ck_assert(sl_model_add(m, sl_layer("Dense", "64, activation='relu', input_shape=(13,)", &e),
                           &e) == 0);
    ck_assert(sl_model_add(m, sl_layer("Dense", "1", &e), &e) == 0);
    ck_assert_str_eq(m->nodes[2].layer->name, "dense_1");
    ck_assert_uint_eq(sl_layer_count_params(m->nodes[1].layer), 896);
    ck_assert_uint_eq(sl_layer_count_params(m->nodes[2].layer), 65);
    ck_assert_uint_eq(sl_model_count_params(m), 961);
    sl_model_free(m);
}
END_TEST

START_TEST(test_sequential_build_later_and_input_layer)
{
    SlError e;
    sl_clear_session();
    SlModel *m = sl_sequential("later");
    ck_assert(sl_model_add(m, sl_layer("Dense", "4", &e), &e) == 0);
    ck_assert(sl_model_add(m, sl_layer("Dense", "2", &e), &e) == 0);
    ck_assert_int_eq(m->n_nodes, 0);
    SlShape s = shape2(SL_NONE, 3);
    ck_assert(sl_model_plan(m, &s, &e) < 0);
    ck_assert_msg(strstr(e.msg, "not built"), "%s", e.msg);
    ck_assert(sl_model_build(m, shape2(SL_NONE, 3), &e) == 0);
    assert_shape(sl_model_output_shape(m, 0), "(None, 2)");
    ck_assert_uint_eq(sl_model_count_params(m), 3 * 4 + 4 + 4 * 2 + 2);
    sl_model_free(m);

    m = sl_sequential(NULL);
    ck_assert(sl_model_add(m, sl_layer("InputLayer", "input_shape=(10, 5)", &e), &e) == 0);
    ck_assert(sl_model_add(m, sl_layer("Permute", "(2, 1)", &e), &e) == 0);
    assert_shape(sl_model_output_shape(m, 0), "(None, 5, 10)");
    ck_assert(sl_model_add(m, sl_layer("InputLayer", "shape=(3,)", &e), &e) < 0);
    ck_assert_msg(strstr(e.msg, "first layer"), "%s", e.msg);
    ck_assert(sl_model_add(m, sl_layer("Dense", "3, name='permute'", &e), &e) < 0);
    ck_assert_msg(strstr(e.msg, "already has a layer named 'permute'"), "%s", e.msg);
    sl_model_free(m);
}
END_TEST

/* Functional: two inputs, one Dense called on both (one set of weights), two outputs. */
START_TEST(test_functional_shared_layer)
{
    SlError e;
    sl_clear_session();
    SlModel *m = sl_model_new(NULL);
    int a = sl_model_input(m, sl_layer("Input", "shape=(4,)", &e), &e);
    int b = sl_model_input(m, sl_layer("Input", "shape=(6, 4)", &e), &e);
    ck_assert_str_eq(m->nodes[0].layer->name, "input_1");
    ck_assert_str_eq(m->nodes[1].layer->name, "input_2");
    SlLayer *shared = sl_layer("Dense", "3, activation='tanh'", &e);
    int ya = sl_model_call(m, shared, 1, &a, NULL, &e);
    int yb = sl_model_call(m, shared, 1, &b, NULL, &e);
    ck_assert(ya >= 0 && yb >= 0);
    int ins[2] = {a, b}, outs[2] = {ya, yb};
    ck_assert(sl_model_set_io(m, 2, ins, 2, outs, &e) == 0);
    assert_shape(sl_model_output_shape(m, 0), "(None, 3)");
    assert_shape(sl_model_output_shape(m, 1), "(None, 6, 3)");
    ck_assert_uint_eq(sl_model_count_params(m), 4 * 3 + 3); /* shared: counted once */
    /* A second call with another feature size is refused with the kernel's shape. */
    int c = sl_model_input(m, sl_layer("Input", "shape=(5,)", &e), &e);
    ck_assert(sl_model_call(m, shared, 1, &c, NULL, &e) < 0);
    ck_assert_msg(strstr(e.msg, "built as (4, 3)") && strstr(e.msg, "(None, 5)"), "%s", e.msg);
    /* An output that needs an Input the model was not given: Keras's "Graph disconnected". */
    SlModel *d = sl_model_new("disconnected");
    int p1 = sl_model_input(d, sl_layer("Input", "shape=(2,)", &e), &e);
    int p2 = sl_model_input(d, sl_layer("Input", "shape=(2,)", &e), &e);
    int q = sl_model_call(d, sl_layer("Dense", "1", &e), 1, &p2, NULL, &e);
    ck_assert(sl_model_set_io(d, 1, &p1, 1, &q, &e) < 0); /* refused when the model is made */
    ck_assert_msg(strstr(e.msg, "depend on 'input_") && strstr(e.msg, "not one of its inputs"),
                  "%s", e.msg);
    sl_model_free(d);
    /* Running it: both outputs use the same weights, so sample rows agree with a 2-D call. */
    sl_real xa[2 * 4], xb[2 * 6 * 4];
    for (int i = 0; i < 8; i++)
        xa[i] = (sl_real)(0.1 * i - 0.3);
    for (int b2 = 0; b2 < 2; b2++) /* every timestep of sample b2 holds xa's row b2 */
        for (int t = 0; t < 6; t++)
            for (int f = 0; f < 4; f++)
                xb[(b2 * 6 + t) * 4 + f] = xa[b2 * 4 + f];
    SlTensor in[2] = {sl_tensor(shape2(2, 4), xa), sl_tensor(shape3(2, 6, 4), xb)};
    ck_assert_msg(sl_model_forward(m, in, 0, &e) == 0, "%s", e.msg);
    SlTensor oa = sl_model_output(m, 0), ob = sl_model_output(m, 1);
    for (int b2 = 0; b2 < 2; b2++)
        for (int t = 0; t < 6; t++)
            for (int j = 0; j < 3; j++)
                ck_assert_float_eq_tol(ob.data[(b2 * 6 + t) * 3 + j], oa.data[b2 * 3 + j], 1e-6);
    sl_model_free(m);
}
END_TEST

/* The plan grows for a larger batch or a longer sequence and runs smaller ones on views. */
START_TEST(test_plan_capacity)
{
    SlError e;
    sl_clear_session();
    SlModel *m = sl_sequential(NULL);
    ck_assert(sl_model_add(m, sl_layer("Dense", "4, input_shape=(None, 3)", &e), &e) == 0);
    ck_assert(sl_model_add(m, sl_layer("Flatten", "", &e), &e) == 0);
    assert_shape(sl_model_output_shape(m, 0), "(None, None)");
    SlShape s = shape3(2, 10, 3);
    ck_assert(sl_model_plan(m, &s, &e) == 0);
    sl_real *block = m->act.base;
    size_t cap = m->act.cap;
    assert_shape(m->t[m->outputs[0]].run, "(2, 40)");
    s = shape3(1, 5, 3); /* smaller: same block */
    ck_assert(sl_model_plan(m, &s, &e) == 0);
    ck_assert_ptr_eq(m->act.base, block);
    assert_shape(m->t[m->outputs[0]].run, "(1, 20)");
    s = shape3(2, 25, 3); /* longer: regrown, larger */
    ck_assert(sl_model_plan(m, &s, &e) == 0);
    ck_assert_uint_gt(m->act.cap, cap);
    assert_shape(m->t[m->outputs[0]].run, "(2, 100)");
    sl_model_free(m);
}
END_TEST

/* A training step (forward, loss gradient, backward, SGD update) allocates nothing after the
 * first, also when a batch is smaller or shorter than the first: through a Bidirectional LSTM,
 * a TimeDistributed Dense and plain Dense layers. */
START_TEST(test_zero_alloc_training_step)
{
    SlAllocator old = sl_set_allocator(&tu_counting_allocator);
    SlError e;
    SlArgs none;
    sl_args_init(&none);
    sl_clear_session();
    SlModel *m = sl_sequential(NULL);
    SlLayer *bi =
        sl_layer_wrap("Bidirectional", sl_layer("LSTM", "4, return_sequences=True", &e), &none, &e);
    ck_assert(bi != NULL);
    ck_assert(sl_model_add(m, sl_layer("InputLayer", "shape=(None, 5)", &e), &e) == 0);
    ck_assert(sl_model_add(m, bi, &e) == 0);
    SlLayer *td =
        sl_layer_wrap("TimeDistributed", sl_layer("Dense", "16, activation='relu'", &e), &none, &e);
    ck_assert(sl_model_add(m, td, &e) == 0);
    ck_assert(sl_model_add(m, sl_layer("Dropout", "0.2", &e), &e) == 0);
    ck_assert(sl_model_add(m, sl_layer("Dense", "1", &e), &e) == 0);
    ck_assert(sl_model_init_params(m, 1, &e) == 0);
    enum { B = 8, T = 12, F = 5 };
    static sl_real x[B * T * F], target[B * T], dy[B * T];
    SlRng r = sl_rng(5);
    for (int i = 0; i < B * T * F; i++)
        x[i] = (sl_real)sl_rng_range(&r, -1, 1);
    for (int i = 0; i < B * T; i++)
        target[i] = (sl_real)sl_rng_range(&r, -1, 1);
    long per_step[6];
    double first_loss = 0, loss = 0;
    for (int step = 0; step < 6; step++) {
        int b = step < 3 ? B : B / 2, t = step < 4 ? T : T / 3; /* shrinking batches */
        long before = tu_n_allocs;
        SlTensor in = sl_tensor(shape3(b, t, F), x);
        ck_assert(sl_model_forward(m, &in, 1, &e) == 0);
        SlTensor y = sl_model_output(m, 0);
        size_t n = sl_tensor_count(&y);
        loss = 0;
        for (size_t i = 0; i < n; i++) { /* mean squared error and its gradient */
            double d = y.data[i] - target[i];
            loss += d * d / (double)n;
            dy[i] = (sl_real)(2 * d / (double)n);
        }
        SlTensor g = sl_tensor(y.shape, dy);
        ck_assert(sl_model_backward(m, &g, 1, &e) == 0);
        for (int p = 0; p < m->n_params; p++) {
            SlParam *w = m->params[p];
            for (size_t i = 0; i < sl_shape_count(&w->shape); i++)
                w->value.data[i] -= (sl_real)0.1 * w->grad.data[i];
        }
        per_step[step] = tu_n_allocs - before;
        if (step == 0)
            first_loss = loss;
    }
    sl_set_allocator(&old);
    ck_assert_int_gt(per_step[0], 0); /* the first step plans */
    for (int s = 1; s < 6; s++)
        ck_assert_msg(per_step[s] == 0, "step %d allocated %ld times", s + 1, per_step[s]);
    ck_assert(loss < first_loss); /* and it was really training */
    sl_model_free(m);
}
END_TEST

/* ---- the trace ---- */
typedef struct Rec {
    int n;
    SlEventKind kind[64];
    char layer[64][SL_NAME_MAX];
    char shape[64][64];
    char why[64][256];
    int had_grad[64];
} Rec;

static void record(void *ctx, const SlEvent *ev)
{
    Rec *r = ctx;
    if (r->n >= 64)
        return;
    int i = r->n++;
    r->kind[i] = ev->kind;
    snprintf(r->layer[i], SL_NAME_MAX, "%s", ev->layer->name);
    const SlTensor *t = ev->pass->n_out ? &ev->pass->y[0] : &ev->pass->x[0];
    sl_shape_str(&t->shape, r->shape[i], sizeof r->shape[i]);
    snprintf(r->why[i], sizeof r->why[i], "%s", ev->why ? ev->why : "");
    /* in BACK_END the input gradient has been accumulated: some entry is non-zero */
    r->had_grad[i] = 0;
    if (ev->kind == SL_EV_BACK_END && ev->pass->n_in)
        for (size_t k = 0; k < sl_tensor_count(&ev->pass->dx[0]); k++)
            r->had_grad[i] |= ev->pass->dx[0].data[k] != 0;
}

START_TEST(test_trace_three_layer_chain)
{
    SlError e;
    sl_clear_session();
    SlModel *m = sl_sequential(NULL);
    ck_assert(sl_model_add(m, sl_layer("Dense", "4, input_shape=(6, 3)", &e), &e) == 0);
    ck_assert(sl_model_add(m, sl_layer("Activation", "'tanh'", &e), &e) == 0);
    ck_assert(sl_model_add(m, sl_layer("Flatten", "", &e), &e) == 0);
    static Rec rec;
    memset(&rec, 0, sizeof rec);
    SlObserver obs = {record, &rec};
    sl_real x[2 * 6 * 3], dy[2 * 24];
    for (int i = 0; i < 36; i++)
        x[i] = (sl_real)(0.05 * i - 0.5);
    for (int i = 0; i < 48; i++)
        dy[i] = (sl_real)(i % 5 - 2);
    SlTensor in = sl_tensor(shape3(2, 6, 3), x);
    ck_assert(sl_model_forward(m, &in, 0, &e) == 0); /* nobody listens: no events */
    sl_model_set_observer(m, &obs);
    ck_assert(sl_model_forward(m, &in, 0, &e) == 0);
    SlTensor g = sl_tensor(shape2(2, 24), dy);
    ck_assert(sl_model_backward(m, &g, 0, &e) == 0);
    static const struct {
        SlEventKind kind;
        const char *layer, *shape;
    } want[] = {
        {SL_EV_LAYER_BEGIN, "dense_input", "(2, 6, 3)"},
        {SL_EV_LAYER_END, "dense_input", "(2, 6, 3)"},
        {SL_EV_LAYER_BEGIN, "dense", "(2, 6, 4)"},
        {SL_EV_LAYER_END, "dense", "(2, 6, 4)"},
        {SL_EV_LAYER_BEGIN, "activation", "(2, 6, 4)"},
        {SL_EV_LAYER_END, "activation", "(2, 6, 4)"},
        {SL_EV_LAYER_BEGIN, "flatten", "(2, 24)"},
        {SL_EV_LAYER_END, "flatten", "(2, 24)"},
        {SL_EV_BACK_BEGIN, "flatten", "(2, 24)"},
        {SL_EV_BACK_END, "flatten", "(2, 24)"},
        {SL_EV_BACK_BEGIN, "activation", "(2, 6, 4)"},
        {SL_EV_BACK_END, "activation", "(2, 6, 4)"},
        {SL_EV_BACK_BEGIN, "dense", "(2, 6, 4)"},
        {SL_EV_BACK_END, "dense", "(2, 6, 4)"},
        {SL_EV_BACK_BEGIN, "dense_input", "(2, 6, 3)"},
        {SL_EV_BACK_END, "dense_input", "(2, 6, 3)"},
    };
    ck_assert_int_eq(rec.n, (int)(sizeof want / sizeof want[0]));
    for (int i = 0; i < rec.n; i++) {
        ck_assert_msg(rec.kind[i] == want[i].kind, "event %d is %s, expected %s", i,
                      sl_event_kind_name(rec.kind[i]), sl_event_kind_name(want[i].kind));
        ck_assert_str_eq(rec.layer[i], want[i].layer);
        ck_assert_str_eq(rec.shape[i], want[i].shape);
    }
    ck_assert_str_eq(rec.why[3], "Dense acts on the last axis (3 -> 4 units) and keeps the others: "
                                 "(2, 6, 3) -> (2, 6, 4)");
    ck_assert(strstr(rec.why[7], "Flatten") && strstr(rec.why[7], "(2, 6, 4) -> (2, 24)"));
    ck_assert(rec.had_grad[9] && rec.had_grad[11] && rec.had_grad[13]);
    sl_model_free(m);
}
END_TEST

/* ---- masks: a test-only layer that creates one, so the plumbing can be seen ---- */
static int mk_create(SlLayer *l, const SlBound *b, SlError *e)
{
    (void)l, (void)b, (void)e;
    return 0;
}
static int mk_infer(SlLayer *l, SlInfer *io, SlError *e)
{
    (void)l, (void)e;
    io->n_out = 1;
    io->out[0] = io->in[0];
    io->out_mask[0] = SL_MASK_NEW;
    return 0;
}
static void mk_forward(SlLayer *l, SlPass *p)
{
    (void)l;
    size_t B = (size_t)p->x[0].shape.dim[0], T = (size_t)p->x[0].shape.dim[1],
           F = (size_t)p->x[0].shape.dim[2];
    memcpy(p->y[0].data, p->x[0].data, B * T * F * sizeof(sl_real));
    for (size_t i = 0; i < B * T; i++)
        p->mask_out[0][i] = p->x[0].data[i * F] != 0; /* step masked when feature 0 is 0 */
}
static void mk_backward(SlLayer *l, SlPass *p)
{
    (void)l, (void)p;
}
static void mk_explain(const SlLayer *l, const SlInfer *io, char *buf, size_t n)
{
    (void)l, (void)io;
    snprintf(buf, n, "test masker");
}
static const SlLayerType masker = {
    .name = "TestMasker",
    .snake = "test_masker",
    .aliases = "",
    .summary = "",
    .example_args = "",
    .example_input = "(2, 4, 2)",
    .kind = 0,
    .steps = SL_STEPS_EACH,
    .create = mk_create,
    .infer = mk_infer,
    .params = sl_layer_no_params,
    .scratch = sl_layer_no_scratch,
    .forward = mk_forward,
    .backward = mk_backward,
    .reset = sl_layer_reset_nothing,
    .explain = mk_explain,
    .formula = sl_layer_formula_none,
    .note = sl_layer_no_note,
    .window = sl_layer_no_window,
    .codes = sl_layer_reals,
    .scenes = sl_layer_no_scenes,
    .destroy = sl_layer_destroy_cfg,
};

START_TEST(test_mask_travels_and_is_dropped)
{
    SlError e;
    sl_clear_session();
    SlModel *m = sl_sequential(NULL);
    ck_assert(sl_model_add(m, sl_layer("InputLayer", "shape=(4, 2)", &e), &e) == 0);
    SlLayer *mk = calloc(1, sizeof *mk);
    mk->type = &masker;
    mk->trainable = 1;
    snprintf(mk->name, sizeof mk->name, "masker");
    ck_assert(sl_model_add(m, mk, &e) == 0);
    ck_assert(sl_model_add(m, sl_layer("Dense", "3", &e), &e) == 0);
    ck_assert(sl_model_add(m, sl_layer("Activation", "'relu'", &e), &e) == 0);
    ck_assert(sl_model_add(m, sl_layer("Flatten", "", &e), &e) == 0);
    ck_assert(m->t[m->nodes[2].out[0]].has_mask);  /* Dense keeps it */
    ck_assert(m->t[m->nodes[3].out[0]].has_mask);  /* Activation keeps it */
    ck_assert(!m->t[m->nodes[4].out[0]].has_mask); /* Flatten drops it ... */
    ck_assert_msg(strstr(m->nodes[4].why, "the mask stops here"), "%s", m->nodes[4].why);
    ck_assert(!strstr(m->nodes[3].why, "mask stops"));
    sl_real x[2 * 4 * 2] = {1, 1, 0, 0, 2, 2, 0, 0, 0, 0, 3, 3, 3, 3, 3, 3};
    SlTensor in = sl_tensor(shape3(2, 4, 2), x);
    ck_assert(sl_model_forward(m, &in, 0, &e) == 0);
    const unsigned char *mask = m->t[m->nodes[3].out[0]].mask;
    ck_assert_ptr_nonnull(mask);
    ck_assert_ptr_eq(mask, m->t[m->nodes[1].out[0]].mask); /* passed on, not copied */
    unsigned char want[8] = {1, 0, 1, 0, 0, 1, 1, 1};
    ck_assert_mem_eq(mask, want, 8);
    ck_assert_ptr_null(m->t[m->nodes[4].out[0]].mask);
    sl_model_free(m);
}
END_TEST

/* QUESTIONS.md item 1: data of shape (N, 31) given to a model that wants (None, 31, 1). */
START_TEST(test_input_shape_error)
{
    SlError e;
    sl_clear_session();
    SlModel *m = sl_sequential(NULL);
    ck_assert(sl_model_add(m, sl_layer("Flatten", "input_shape=(31, 1)", &e), &e) == 0);
    ck_assert(sl_model_add(m, sl_layer("Dense", "30, activation='softmax'", &e), &e) == 0);
    SlShape s = shape2(8, 31);
    ck_assert(sl_model_plan(m, &s, &e) < 0);
    ck_assert_str_eq(e.msg, "model input 'flatten_input' expects (None, 31, 1), got (8, 31). "
                            "Fix: add a features axis of size 1: reshape the data to (8, 31, 1) "
                            "(in NumPy: X.reshape(X.shape + (1,)))");
    s = shape3(8, 30, 1);
    ck_assert(sl_model_plan(m, &s, &e) < 0);
    ck_assert_msg(strstr(e.msg, "Fix: axis 1 must be 31"), "%s", e.msg);
    sl_model_free(m);
}
END_TEST

START_TEST(test_init_params_seeded)
{
    SlError e;
    sl_clear_session();
    SlModel *a = sl_sequential(NULL), *b = sl_sequential(NULL);
    ck_assert(sl_model_add(a, sl_layer("Dense", "20, input_shape=(30,)", &e), &e) == 0);
    ck_assert(sl_model_add(b, sl_layer("Dense", "20, input_shape=(30,)", &e), &e) == 0);
    ck_assert(sl_model_init_params(a, 42, &e) == 0);
    ck_assert(sl_model_init_params(b, 42, &e) == 0);
    size_t n = sl_model_count_params(a);
    ck_assert_mem_eq(a->values.base, b->values.base, n * sizeof(sl_real));
    ck_assert(sl_model_init_params(b, 43, &e) == 0);
    ck_assert(memcmp(a->values.base, b->values.base, 600 * sizeof(sl_real)));
    /* glorot_uniform: within sqrt(6 / (30 + 20)), and bias zeros */
    double lim = 0.34641016151377546, mx = 0;
    for (int i = 0; i < 600; i++)
        mx = mx > fabs(a->values.base[i]) ? mx : fabs(a->values.base[i]);
    ck_assert(mx <= lim && mx > 0.9 * lim);
    for (int i = 600; i < 620; i++)
        ck_assert(a->values.base[i] == 0);
    sl_model_free(a);
    sl_model_free(b);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("model");
    TCase *tc = tcase_create("building");
    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, test_sequential_multi_output);
    tcase_add_test(tc, test_sequential_regression_names);
    tcase_add_test(tc, test_sequential_build_later_and_input_layer);
    tcase_add_test(tc, test_functional_shared_layer);
    tcase_add_test(tc, test_init_params_seeded);
    suite_add_tcase(s, tc);
    tc = tcase_create("running");
    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, test_plan_capacity);
    tcase_add_test(tc, test_zero_alloc_training_step);
    tcase_add_test(tc, test_trace_three_layer_chain);
    tcase_add_test(tc, test_mask_travels_and_is_dropped);
    tcase_add_test(tc, test_input_shape_error);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(suite()) ? EXIT_FAILURE : EXIT_SUCCESS;
}
