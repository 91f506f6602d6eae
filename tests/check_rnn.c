/* check_rnn.c: SimpleRNN, LSTM and GRU against PyTorch's numbers, their gradient checks through
 * time for every option, stateful runs, any number of timesteps, and the shape errors learners
 * meet first.
 *
 * Fixtures (tests/fixtures/rnn_*.safetensors, written by tools/make_rnn_fixtures.py in float64)
 * hold x (and h0, c0 when the case passes initial_state), the layer's outputs y0.., upstream
 * gradients dy0.., the input gradients dx (dh0, dc0) and the weights with their gradients.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

static const char *const fixtures[] = {
    "rnn_lstm_seq",
    "rnn_lstm_last",
    "rnn_lstm_state_init",
    "rnn_lstm_hard_sigmoid_backwards",
    "rnn_lstm_relu_nobias",
    "rnn_gru_seq",
    "rnn_gru_reset_before",
    "rnn_gru_state_backwards",
    "rnn_gru_nobias_reset_before",
    "rnn_gru_hard_sigmoid",
    "rnn_simple_rnn_seq",
    "rnn_simple_rnn_relu_state",
    "rnn_lstm_masked_seq",
    "rnn_lstm_masked_last_backwards",
    "rnn_gru_masked_seq",
    "rnn_gru_masked_reset_before_state",
    "rnn_simple_rnn_masked_seq",
    "rnn_bi_lstm_concat_seq",
    "rnn_bi_gru_sum_last",
    "rnn_bi_lstm_mul_states",
    "rnn_bi_simple_rnn_ave",
    "rnn_bi_gru_none",
    "rnn_bi_lstm_initial_state",
    "rnn_bi_gru_initial_state_sum",
    "rnn_td_dense_3d",
    "rnn_td_lstm_4d",
    "rnn_td_conv1d_causal_4d",
    "rnn_lstm_masked_zero_output_seq",
    "rnn_gru_masked_zero_output_last",
    "rnn_simple_rnn_dropout",
    "rnn_lstm_dropout",
    "rnn_lstm_dropout_recurrent",
    "rnn_lstm_recurrent_dropout_only",
    "rnn_lstm_dropout_implementation1",
    "rnn_gru_dropout",
    "rnn_gru_dropout_recurrent",
    "rnn_gru_reset_before_recurrent_dropout",
    "rnn_lstm_dropout_masked_backwards",
    "rnn_bi_backward_layer_gru",
    "rnn_bi_backward_layer_sum_last",
};
enum { N_FIXTURES = sizeof fixtures / sizeof fixtures[0] };

/* The layer of a case: "LSTM", "3" or a wrapper "Bidirectional", "merge_mode='sum'" around
 * inner "LSTM", "3", and with back (not NULL) its backward_layer= "GRU", "2, go_backwards=True". */
static SlLayer *case_layer_pair(const char *layer, const char *args, const char *inner,
                                const char *inner_args, const char *back, const char *back_args,
                                SlError *e)
{
    if (!inner)
        return sl_layer(layer, args, e);
    SlArgs a;
    sl_args_init(&a);
    SlLayer *in = sl_layer(inner, inner_args, e), *bk = back ? sl_layer(back, back_args, e) : NULL;
    ck_assert_msg(in && (bk || !back) && sl_args_parse(&a, args, e) == 0, "%s", e->msg);
    SlLayer *w = sl_layer_wrap_pair(layer, in, bk, &a, e);
    if (!w)
        sl_layer_free(in), sl_layer_free(bk);
    return w;
}

/* A functional model: Input(batch_shape=...) for x and each initial state, the layer on all. */
static SlModel *rnn_model_masked(SlLayer *l, int n_in, const SlShape *shapes, const char *masking,
                                 SlError *e)
{
    SlModel *m = sl_model_new(NULL);
    int ids[5], outs[SL_MAX_IO], feed[5];
    for (int k = 0; k < n_in; k++) {
        char a[128], d[96];
        sl_shape_str(&shapes[k], d, sizeof d);
        snprintf(a, sizeof a, "batch_shape=%s", d);
        ids[k] = feed[k] = sl_model_input(m, sl_layer("Input", a, e), e);
        ck_assert_msg(ids[k] >= 0, "%s", e->msg);
    }
    if (masking) { /* Masking(mask_value) between the sequence input and the layer */
        feed[0] = sl_model_call(m, sl_layer("Masking", masking, e), 1, ids, NULL, e);
        ck_assert_msg(feed[0] >= 0, "%s", e->msg);
    }
    ck_assert_msg(l != NULL, "%s", e->msg);
    ck_assert_msg(sl_model_call(m, l, n_in, feed, outs, e) >= 0, "%s", e->msg);
    int n_out = m->nodes[m->n_nodes - 1].sym.n_out;
    ck_assert_msg(sl_model_set_io(m, n_in, ids, n_out, outs, e) == 0, "%s", e->msg);
    return m;
}

static SlModel *rnn_model_of(SlLayer *l, int n_in, const SlShape *shapes, SlError *e)
{
    return rnn_model_masked(l, n_in, shapes, NULL, e);
}

static SlModel *rnn_model(const char *layer, const char *args, int n_in, const SlShape *shapes,
                          SlError *e)
{
    return rnn_model_of(sl_layer(layer, args, e), n_in, shapes, e);
}

/* A weight's name below its layer: "lstm_cell/kernel", "forward_lstm/lstm_cell/kernel". */
static const char *below_layer(const SlModel *m, int i)
{
    const char *slash = strchr(m->param_names[i], '/');
    return slash ? slash + 1 : m->param_names[i];
}

static void rnn_fixture(const void *arg)
{
    const char *name = arg;
    /* inputs: x, then a layer's initial h0 (c0), or a Bidirectional's s0.. (forward's, backward's) */
    static const char *const h_names[] = {"x", "h0", "c0"}, *const s_names[] = {"x", "s0", "s1",
                                                                                "s2", "s3"};
    SlSafetensors st;
    SlError e;
    ck_assert_msg(sl_st_read(&st, tu_fixture(name), &e) == 0, "%s", e.msg);
    ck_assert_str_eq(sl_st_meta(&st, "format"), "shapelab-rnn-fixture-1");
    const char *const *state_names = sl_st_find(&st, "s0") ? s_names : h_names;
    int n_in = 1;
    while (n_in < (state_names == s_names ? 5 : 3) && sl_st_find(&st, state_names[n_in]))
        n_in++;
    SlShape shapes[5];
    SlTensor in[5];
    for (int k = 0; k < n_in; k++)
        in[k].data = tu_st_load(&st, state_names[k], &shapes[k]), in[k].shape = shapes[k];
    sl_clear_session();
    SlLayer *l = case_layer_pair(sl_st_meta(&st, "layer"), sl_st_meta(&st, "args"),
                                 sl_st_meta(&st, "inner"), sl_st_meta(&st, "inner_args"),
                                 sl_st_meta(&st, "backward"), sl_st_meta(&st, "backward_args"), &e);
    SlModel *m = rnn_model_masked(l, n_in, shapes, sl_st_meta(&st, "masking"), &e);
    ck_assert_msg(sl_model_ensure_params(m, &e) == 0, "%s", e.msg);
    for (int i = 0; i < m->n_params; i++) {
        SlParam *p = m->params[i];
        ck_assert_msg(sl_st_get(&st, below_layer(m, i), p->value.data, sl_shape_count(&p->shape),
                                NULL, &e) == 0,
                      "%s: %s", name, e.msg);
    }
    /* dropout cases run in training, their masks drawn from the fixture's seed */
    int training = sl_st_meta(&st, "training") && atoi(sl_st_meta(&st, "training"));
    if (training)
        sl_model_seed_rng(m, strtoull(sl_st_meta(&st, "seed"), NULL, 10));
    ck_assert_msg(sl_model_forward(m, in, training, &e) == 0, "%s: %s", name, e.msg);
    SlTensor dy[SL_MAX_MODEL_IO];
    for (int k = 0; k < m->n_outputs; k++) {
        char yn[8], dn[8];
        snprintf(yn, sizeof yn, "y%d", k);
        snprintf(dn, sizeof dn, "dy%d", k);
        SlShape ys;
        sl_real *y = tu_st_load(&st, yn, &ys);
        SlTensor out = sl_model_output(m, k);
        ck_assert_msg(sl_shape_equal(&out.shape, &ys), "%s: output %d shape differs", name, k);
        tu_assert_close(yn, out.data, y, sl_tensor_count(&out));
        dy[k] = sl_tensor(ys, tu_st_load(&st, dn, NULL));
        free(y);
    }
    char extra[8]; /* the model has as many outputs as the fixture */
    snprintf(extra, sizeof extra, "y%d", m->n_outputs);
    ck_assert_msg(sl_st_find(&st, extra) == NULL, "%s: the fixture has more outputs", name);
    ck_assert_msg(sl_model_backward(m, dy, training, &e) == 0, "%s", e.msg);
    for (int k = 0; k < n_in; k++) {
        char dn[8];
        snprintf(dn, sizeof dn, "d%s", state_names[k]);
        sl_real *want = tu_st_load(&st, dn, NULL);
        SlTensor g = sl_model_input_grad(m, k);
        tu_assert_close(dn, g.data, want, sl_tensor_count(&g));
        free(want), free(in[k].data);
    }
    for (int i = 0; i < m->n_params; i++) {
        SlParam *p = m->params[i];
        char gname[200];
        snprintf(gname, sizeof gname, "grad/%s", below_layer(m, i));
        sl_real *g = tu_st_load(&st, gname, NULL);
        tu_assert_close(gname, p->grad.data, g, sl_shape_count(&p->shape));
        free(g);
    }
    for (int k = 0; k < m->n_outputs; k++)
        free(dy[k].data);
    sl_model_free(m);
    sl_st_free(&st);
}

START_TEST(test_fixture)
{
    tu_both_kernels(rnn_fixture, fixtures[_i]);
}
END_TEST

#ifdef SL_DOUBLE
/* Gradient checks through time for each option (every weight, the input and initial states). */
static const struct {
    const char *type, *args;
    int B, T, F, n_state_inputs;
} gc_cases[] = {
    {"SimpleRNN", "3", 2, 4, 3, 0},
    {"SimpleRNN", "3, return_sequences=True, go_backwards=True", 2, 4, 3, 0},
    {"SimpleRNN", "2, activation='sigmoid', use_bias=False, return_state=True", 2, 3, 2, 1},
    {"LSTM", "3", 2, 4, 3, 0},
    {"LSTM", "3, return_sequences=True, return_state=True", 2, 5, 2, 2},
    {"LSTM", "2, go_backwards=True, recurrent_activation='hard_sigmoid'", 3, 4, 2, 0},
    {"LSTM", "2, recurrent_activation='hard_sigmoid_k2', return_sequences=True", 2, 3, 2, 0},
    {"LSTM", "3, use_bias=False, unit_forget_bias=False, activation='softsign'", 2, 3, 4, 2},
    {"LSTM", "4, stateful=True, return_sequences=True", 2, 3, 2, 0},
    {"GRU", "3", 2, 4, 3, 0},
    {"GRU", "3, reset_after=False, return_sequences=True", 2, 4, 3, 0},
    {"GRU", "2, return_state=True, go_backwards=True", 2, 3, 2, 1},
    {"GRU", "2, use_bias=False, reset_after=False, return_state=True", 3, 3, 2, 1},
    {"GRU", "3, recurrent_activation='hard_sigmoid', activation='elu'", 2, 4, 2, 0},
};
enum { N_GC = sizeof gc_cases / sizeof gc_cases[0] };

START_TEST(test_gradcheck)
{
    SlError e;
    SlShape shapes[3];
    int B = gc_cases[_i].B, n_in = 1 + gc_cases[_i].n_state_inputs;
    shapes[0] = sl_shape_of(3, (int[]){B, gc_cases[_i].T, gc_cases[_i].F});
    sl_clear_session();
    /* the units are the first argument of every case */
    int units = atoi(gc_cases[_i].args);
    for (int k = 1; k < n_in; k++)
        shapes[k] = sl_shape_of(2, (int[]){B, units});
    SlModel *m = rnn_model(gc_cases[_i].type, gc_cases[_i].args, n_in, shapes, &e);
    ck_assert(sl_model_init_params(m, 7, &e) == 0);
    /* biases and recurrent kernels away from their quiet start, so every path carries signal */
    SlRng r = sl_rng(21 + (uint64_t)_i);
    for (int i = 0; i < m->n_params; i++)
        for (size_t j = 0; j < sl_shape_count(&m->params[i]->shape); j++)
            m->params[i]->value.data[j] += (sl_real)sl_rng_range(&r, -0.3, 0.3);
    SlTensor in[3];
    for (int k = 0; k < n_in; k++) {
        in[k] = sl_tensor(shapes[k], malloc(sl_shape_count(&shapes[k]) * sizeof(sl_real)));
        sl_gradcheck_fill_input(&in[k], &r);
    }
    SlGradcheckOptions o = sl_gradcheck_defaults();
    SlGradcheckReport rep;
    ck_assert_msg(sl_gradcheck(m, in, &o, &rep, &e) == 0, "%s", e.msg);
    char table[4096];
    sl_gradcheck_format(&rep, table, sizeof table);
    ck_assert_msg(rep.ok, "%s(%s):\n%s", gc_cases[_i].type, gc_cases[_i].args, table);
    ck_assert_double_lt(rep.max_err, 1e-6);
    for (int i = 0; i < rep.n_rows; i++) /* every weight moves the output here */
        ck_assert_msg(!rep.rows[i].all_zero, "%s: %s has a zero gradient", gc_cases[_i].args,
                      rep.rows[i].name);
    for (int k = 0; k < n_in; k++)
        free(in[k].data);
    sl_model_free(m);
}
END_TEST

/* Dropout through time, in training with the masks fixed (the checker reseeds the model's
 * generator before every evaluation, so every nudge sees the same masks); masks and
 * zero_output_for_mask behind a Masking layer. */
static const struct {
    const char *type, *args;
    int B, T, F;
    const char *masking; /* Masking's mask_value before the layer, or NULL */
} gc_dropout[] = {
    {"SimpleRNN", "3, dropout=0.3, recurrent_dropout=0.4, return_sequences=True", 3, 4, 3, NULL},
    {"LSTM", "3, dropout=0.3", 3, 4, 3, NULL},
    {"LSTM", "3, dropout=0.3, recurrent_dropout=0.3, return_sequences=True", 3, 4, 3, NULL},
    {"LSTM", "2, recurrent_dropout=0.5, go_backwards=True", 3, 4, 2, NULL},
    {"LSTM", "3, dropout=0.4, implementation=1, return_sequences=True", 3, 3, 3, NULL},
    {"GRU", "3, dropout=0.3, recurrent_dropout=0.3", 3, 4, 3, NULL},
    {"GRU", "3, dropout=0.3, recurrent_dropout=0.3, reset_after=False, return_sequences=True", 3, 4,
     3, NULL},
    {"GRU", "2, recurrent_dropout=0.4, use_bias=False", 2, 4, 2, NULL},
    {"LSTM", "3, return_sequences=True, zero_output_for_mask=True", 3, 5, 2, "0.0"},
    {"GRU", "3, zero_output_for_mask=True, go_backwards=True", 3, 5, 2, "0.0"},
    {"LSTM", "2, dropout=0.3, recurrent_dropout=0.3, zero_output_for_mask=True", 3, 5, 2, "0.0"},
    /* more samples than one block of the time loop (rnn.c's ROWS, 48): masked rows past the first */
    {"LSTM", "2, dropout=0.3, recurrent_dropout=0.3, return_sequences=True", 50, 3, 2, NULL},
    {"GRU", "2, dropout=0.3, recurrent_dropout=0.3, reset_after=False", 50, 3, 2, NULL},
    {"SimpleRNN", "2, dropout=0.3, go_backwards=True", 50, 3, 2, NULL},
};
enum { N_GC_DROPOUT = sizeof gc_dropout / sizeof gc_dropout[0] };

START_TEST(test_gradcheck_dropout)
{
    SlError e;
    SlShape s = sl_shape_of(3, (int[]){gc_dropout[_i].B, gc_dropout[_i].T, gc_dropout[_i].F});
    sl_clear_session();
    SlModel *m = rnn_model_masked(sl_layer(gc_dropout[_i].type, gc_dropout[_i].args, &e), 1, &s,
                                  gc_dropout[_i].masking, &e);
    ck_assert(sl_model_init_params(m, 9, &e) == 0);
    SlRng r = sl_rng(51 + (uint64_t)_i);
    for (int i = 0; i < m->n_params; i++)
        for (size_t j = 0; j < sl_shape_count(&m->params[i]->shape); j++)
            m->params[i]->value.data[j] += (sl_real)sl_rng_range(&r, -0.3, 0.3);
    SlTensor in = sl_tensor(s, malloc(sl_shape_count(&s) * sizeof(sl_real)));
    sl_gradcheck_fill_input(&in, &r);
    if (gc_dropout[_i].masking) /* padding: sample 0's last step, sample 1's first and third */
        for (int f = 0; f < s.dim[2]; f++) {
            in.data[((size_t)0 * s.dim[1] + s.dim[1] - 1) * s.dim[2] + f] = 0;
            in.data[((size_t)1 * s.dim[1] + 0) * s.dim[2] + f] = 0;
            in.data[((size_t)1 * s.dim[1] + 2) * s.dim[2] + f] = 0;
        }
    SlGradcheckOptions o = sl_gradcheck_defaults();
    o.training = 1;
    o.seed = 3 + (uint64_t)_i; /* the masks */
    /* a nudge of a padded step's zeros would unmask it: with Masking, the weights only */
    o.check_inputs = gc_dropout[_i].masking == NULL;
    SlGradcheckReport rep;
    ck_assert_msg(sl_gradcheck(m, &in, &o, &rep, &e) == 0, "%s", e.msg);
    char table[4096];
    sl_gradcheck_format(&rep, table, sizeof table);
    ck_assert_msg(rep.ok, "%s(%s):\n%s", gc_dropout[_i].type, gc_dropout[_i].args, table);
    for (int i = 0; i < rep.n_rows; i++) /* masks that drop every path would check nothing */
        ck_assert_msg(!rep.rows[i].all_zero, "%s: %s has a zero gradient:\n%s", gc_dropout[_i].args,
                      rep.rows[i].name, table);
    free(in.data);
    sl_model_free(m);
}
END_TEST

/* Bidirectional with initial_state: the forward copy's h and c, then the backward copy's, each
 * getting its gradient; a wrong count of states is refused, saying what it takes. */
START_TEST(test_bidirectional_initial_state)
{
    SlError e;
    SlArgs none;
    sl_args_init(&none);
    SlShape s[5] = {sl_shape_of(3, (int[]){2, 3, 2})};
    for (int k = 1; k < 5; k++)
        s[k] = sl_shape_of(2, (int[]){2, 2});
    sl_clear_session();
    SlLayer *l =
        sl_layer_wrap("Bidirectional", sl_layer("LSTM", "2, return_state=True", &e), &none, &e);
    SlModel *m = rnn_model_of(l, 5, s, &e);
    ck_assert(sl_model_init_params(m, 4, &e) == 0);
    SlRng r = sl_rng(41);
    SlTensor in[5];
    for (int k = 0; k < 5; k++) {
        in[k] = sl_tensor(s[k], malloc(sl_shape_count(&s[k]) * sizeof(sl_real)));
        sl_gradcheck_fill_input(&in[k], &r);
    }
    SlGradcheckOptions o = sl_gradcheck_defaults();
    SlGradcheckReport rep;
    ck_assert_msg(sl_gradcheck(m, in, &o, &rep, &e) == 0, "%s", e.msg);
    char table[4096];
    sl_gradcheck_format(&rep, table, sizeof table);
    ck_assert_msg(rep.ok, "%s", table);
    for (int i = 0; i < rep.n_rows; i++)
        ck_assert_msg(!rep.rows[i].all_zero, "%s has no gradient:\n%s", rep.rows[i].name, table);
    for (int k = 0; k < 5; k++)
        free(in[k].data);
    sl_model_free(m);
    /* two states for a Bidirectional LSTM: it takes four */
    SlModel *m2 = sl_model_new(NULL);
    int ids[3];
    ids[0] = sl_model_input(m2, sl_layer("Input", "shape=(3, 2)", &e), &e);
    ids[1] = sl_model_input(m2, sl_layer("Input", "shape=(2,)", &e), &e);
    ids[2] = sl_model_input(m2, sl_layer("Input", "shape=(2,)", &e), &e);
    l = sl_layer_wrap("Bidirectional", sl_layer("LSTM", "2", &e), &none, &e);
    ck_assert(sl_model_call(m2, l, 3, ids, NULL, &e) < 0);
    ck_assert_msg(strstr(e.msg, "initial_state takes 4 tensors, the forward layer's h and c then "
                                "the backward layer's; got 2"),
                  "%s", e.msg);
    sl_model_free(m2);
}
END_TEST

static const struct {
    const char *wrapper, *args, *inner, *inner_args;
    int rank, dims[4];
} gc_wrapped[] = {
    {"Bidirectional", "", "LSTM", "2, return_sequences=True", 3, {2, 3, 2}},
    {"Bidirectional", "merge_mode='mul'", "GRU", "2, return_state=True", 3, {2, 3, 2}},
    {"Bidirectional", "merge_mode=None", "SimpleRNN", "3, return_sequences=True", 3, {2, 4, 2}},
    {"Bidirectional", "merge_mode='ave'", "LSTM", "2, go_backwards=True", 3, {2, 3, 3}},
    {"TimeDistributed", "", "Dense", "2, activation='tanh'", 3, {2, 3, 4}},
    {"TimeDistributed", "", "GRU", "2, return_sequences=True", 4, {2, 2, 3, 2}},
    {"TimeDistributed",
     "",
     "Conv1D",
     "3, 3, padding='causal', dilation_rate=2, activation='elu'",
     4,
     {2, 3, 6, 2}},
};
enum { N_GC_WRAPPED = sizeof gc_wrapped / sizeof gc_wrapped[0] };

START_TEST(test_gradcheck_wrapped)
{
    SlError e;
    sl_clear_session();
    SlShape s = sl_shape_of(gc_wrapped[_i].rank, gc_wrapped[_i].dims);
    SlLayer *l = case_layer_pair(gc_wrapped[_i].wrapper, gc_wrapped[_i].args, gc_wrapped[_i].inner,
                                 gc_wrapped[_i].inner_args, NULL, NULL, &e);
    SlModel *m = rnn_model_of(l, 1, &s, &e);
    ck_assert(sl_model_init_params(m, 5, &e) == 0);
    SlRng r = sl_rng(31 + (uint64_t)_i);
    for (int i = 0; i < m->n_params; i++)
        for (size_t j = 0; j < sl_shape_count(&m->params[i]->shape); j++)
            m->params[i]->value.data[j] += (sl_real)sl_rng_range(&r, -0.3, 0.3);
    SlTensor in = sl_tensor(s, malloc(sl_shape_count(&s) * sizeof(sl_real)));
    sl_gradcheck_fill_input(&in, &r);
    SlGradcheckOptions o = sl_gradcheck_defaults();
    SlGradcheckReport rep;
    ck_assert_msg(sl_gradcheck(m, &in, &o, &rep, &e) == 0, "%s", e.msg);
    char table[4096];
    sl_gradcheck_format(&rep, table, sizeof table);
    ck_assert_msg(rep.ok, "%s(%s(%s)):\n%s", gc_wrapped[_i].wrapper, gc_wrapped[_i].inner,
                  gc_wrapped[_i].inner_args, table);
    free(in.data);
    sl_model_free(m);
}
END_TEST
#endif

/* Run a one-layer model on x (in training or not) and copy output 0 into out. */
static void run_mode(SlModel *m, SlShape s, const sl_real *x, sl_real *out, size_t n, int training)
{
    SlError e;
    SlTensor in = sl_tensor(s, (sl_real *)x);
    ck_assert_msg(sl_model_forward(m, &in, training, &e) == 0, "%s", e.msg);
    SlTensor y = sl_model_output(m, 0);
    ck_assert_uint_eq(sl_tensor_count(&y), n);
    memcpy(out, y.data, n * sizeof *out);
}

/* Dropout is a training matter: in inference the layer is the one without it; in training the
 * masks are new for every batch (the generator moves on) and the same again from the same seed. */
START_TEST(test_dropout_modes)
{
    static const char *const cases[][2] = {
        {"LSTM", "3, dropout=0.5, recurrent_dropout=0.5, return_sequences=True"},
        {"GRU", "3, dropout=0.5, return_sequences=True"},
        {"SimpleRNN", "3, recurrent_dropout=0.5, return_sequences=True"},
    };
    SlError e;
    SlShape s = sl_shape_of(3, (int[]){2, 4, 3});
    sl_real x[24], plain[24], a[24], b[24], c[24];
    SlRng r = sl_rng(8);
    SlTensor in = sl_tensor(s, x);
    sl_gradcheck_fill_input(&in, &r);
    for (int i = 0; i < 3; i++) {
        sl_clear_session();
        SlModel *m = rnn_model(cases[i][0], cases[i][1], 1, &s, &e);
        SlModel *ref = rnn_model(cases[i][0], "3, return_sequences=True", 1, &s, &e);
        ck_assert(sl_model_init_params(m, 2, &e) == 0 && sl_model_init_params(ref, 2, &e) == 0);
        run_mode(ref, s, x, plain, 24, 1);
        run_mode(m, s, x, a, 24, 0);
        tu_assert_close("inference ignores dropout", a, plain, 24);
        sl_model_seed_rng(m, 5);
        run_mode(m, s, x, a, 24, 1);
        run_mode(m, s, x, b, 24, 1); /* the next batch: other masks */
        sl_model_seed_rng(m, 5);
        run_mode(m, s, x, c, 24, 1);
        ck_assert_msg(memcmp(a, b, sizeof a) != 0, "%s: the masks did not change", cases[i][1]);
        ck_assert_msg(memcmp(a, c, sizeof a) == 0, "%s: the same seed drew other masks",
                      cases[i][1]);
        ck_assert_msg(memcmp(a, plain, sizeof a) != 0, "%s: training dropped nothing", cases[i][1]);
        sl_model_free(m), sl_model_free(ref);
    }
    SlLayer *l = sl_layer("LSTM", "3, dropout=0.2, seed=42, unroll=True, use_cudnn=False", &e);
    ck_assert_msg(l != NULL, "%s", e.msg);
    ck_assert_msg(strstr(l->notice, "seed= of a recurrent layer is accepted but not used"), "%s",
                  l->notice);
    sl_layer_free(l);
}
END_TEST

/* Bidirectional(backward_layer=...): Keras's checks, its names, the units of concat, and
 * zero_output_for_mask set on both copies that return sequences. */
START_TEST(test_backward_layer)
{
    static const struct {
        const char *forward, *backward, *args, *must;
    } bad[] = {
        {"4", "4", "",
         "should have different `go_backwards` value: give the backward layer "
         "go_backwards=True"},
        {"4, return_sequences=True", "4, go_backwards=True", "",
         "same value for attribute \"return_sequences\", got True for the forward layer and "
         "False"},
        {"4", "4, go_backwards=True, return_state=True", "", "attribute \"return_state\""},
        {"4", "3, go_backwards=True", "merge_mode='sum'",
         "two directions of the same units to merge_mode='sum': the forward layer has 4, the "
         "backward layer 3"},
    };
    SlError e;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sl_clear_session();
        SlLayer *w = case_layer_pair("Bidirectional", bad[i].args, "LSTM", bad[i].forward, "LSTM",
                                     bad[i].backward, &e);
        if (w) { /* some mistakes show only once the shapes are known */
            SlShape s = sl_shape_of(3, (int[]){SL_NONE, 5, 2});
            SlModel *m = sl_model_new(NULL);
            int x = sl_model_input(m, sl_layer("InputLayer", "shape=(5, 2)", &e), &e);
            ck_assert(sl_model_call(m, w, 1, &x, NULL, &e) < 0);
            sl_model_free(m);
            (void)s;
        }
        ck_assert_msg(strstr(e.msg, bad[i].must), "message lacks \"%s\": %s", bad[i].must, e.msg);
    }
    SlArgs a;
    sl_args_init(&a);
    ck_assert(sl_args_parse(&a, "backward_layer='gru'", &e) == 0);
    SlLayer *g = sl_layer("GRU", "2", &e);
    ck_assert(sl_layer_wrap("Bidirectional", g, &a, &e) == NULL);
    ck_assert_msg(strstr(e.msg, "backward_layer takes a recurrent layer"), "%s", e.msg);
    sl_layer_free(g); /* on error the layer stays the caller's */
    sl_clear_session();
    SlLayer *d = sl_layer("Dense", "2", &e), *f = sl_layer("GRU", "2", &e);
    sl_args_init(&a);
    ck_assert(sl_layer_wrap_pair("Bidirectional", f, d, &a, &e) == NULL);
    ck_assert_msg(strstr(e.msg, "backward_layer must be a recurrent layer"), "%s", e.msg);
    ck_assert(f->parent == NULL && d->parent == NULL); /* still the caller's */
    sl_layer_free(f), sl_layer_free(d);
    /* names: forward_<name>, and the backward layer's own; both copies zero masked outputs */
    sl_clear_session();
    SlLayer *w = case_layer_pair("Bidirectional", "", "LSTM", "3, return_sequences=True", "GRU",
                                 "2, return_sequences=True, go_backwards=True", &e);
    ck_assert_msg(w != NULL, "%s", e.msg);
    ck_assert_str_eq(w->child[0]->name, "forward_lstm");
    ck_assert_str_eq(w->child[1]->name, "gru");
    for (int k = 0; k < 2; k++) {
        SlRnnInfo info;
        ck_assert(sl_rnn_info(w->child[k], &info) == 0 && info.zero_output_for_mask);
    }
    SlModel *m = sl_model_new(NULL);
    int x = sl_model_input(m, sl_layer("InputLayer", "shape=(5, 2)", &e), &e);
    int y = sl_model_call(m, w, 1, &x, NULL, &e);
    ck_assert_msg(y >= 0, "%s", e.msg);
    char shape[64];
    ck_assert_str_eq(sl_shape_str(&m->t[y].shape, shape, sizeof shape), "(None, 5, 5)");
    /* Keras's count: LSTM(3) on 2 features 4*(3*(2+3)+3) = 72, GRU(2) 3*(2*(2+2)+2*2) = 36 */
    ck_assert_int_eq((long long)sl_layer_count_params(w), 108);
    char f2[256];
    w->type->formula(w, f2, sizeof f2);
    ck_assert_str_eq(f2, "(4*(3*(2+3) + 3) = 72) + (3*(2*(2+2) + 2*2) = 36) = 108");
    sl_model_free(m);
}
END_TEST

/* Run a one-layer model on x and copy output 0 into out. */
static void run(SlModel *m, SlShape s, const sl_real *x, sl_real *out, size_t n)
{
    SlError e;
    SlTensor in = sl_tensor(s, (sl_real *)x);
    ck_assert_msg(sl_model_forward(m, &in, 0, &e) == 0, "%s", e.msg);
    SlTensor y = sl_model_output(m, 0);
    ck_assert_uint_eq(sl_tensor_count(&y), n);
    memcpy(out, y.data, n * sizeof *out);
}

/* Stateful: a sequence cut in two batches gives the same outputs as the whole sequence, and
 * reset_states() starts over; without stateful the second half would start from zeros. */
START_TEST(test_stateful_continues)
{
    SlError e;
    enum { B = 2, T = 6, F = 3, U = 4 };
    sl_real x[B * T * F], whole[B * T * U], half[B * (T / 2) * F], part[B * (T / 2) * U];
    SlRng r = sl_rng(5);
    for (int i = 0; i < B * T * F; i++)
        x[i] = (sl_real)sl_rng_range(&r, -1, 1);
    sl_clear_session();
    SlModel *full =
        tu_one_layer("LSTM", "4, return_sequences=True", sl_shape_of(3, (int[]){B, T, F}), &e);
    SlModel *st = tu_one_layer("LSTM", "4, return_sequences=True, stateful=True",
                               sl_shape_of(3, (int[]){B, T / 2, F}), &e);
    ck_assert(full && st);
    ck_assert(sl_model_init_params(full, 3, &e) == 0 && sl_model_init_params(st, 3, &e) == 0);
    run(full, sl_shape_of(3, (int[]){B, T, F}), x, whole, B * T * U);
    SlShape hs = sl_shape_of(3, (int[]){B, T / 2, F});
    for (int k = 0; k < 2; k++) {
        for (int b = 0; b < B; b++) /* batch k holds steps k*T/2 .. of every sample */
            memcpy(half + b * (T / 2) * F, x + (b * T + k * (T / 2)) * F, (T / 2) * F * sizeof *x);
        run(st, hs, half, part, B * (T / 2) * U);
        for (int b = 0; b < B; b++)
            tu_assert_close("stateful half", part + b * (T / 2) * U,
                            whole + (b * T + k * (T / 2)) * U, (T / 2) * U);
    }
    sl_model_reset_states(st);
    memcpy(half, x, sizeof half); /* not the right layout for k = 0, but any data will do: */
    for (int b = 0; b < B; b++)
        memcpy(half + b * (T / 2) * F, x + b * T * F, (T / 2) * F * sizeof *x);
    run(st, hs, half, part, B * (T / 2) * U);
    for (int b = 0; b < B; b++)
        tu_assert_close("after reset_states", part + b * (T / 2) * U, whole + b * T * U,
                        (T / 2) * U);
    sl_model_free(full), sl_model_free(st);
}
END_TEST

/* Built with None timesteps, the same weights run sequences of 1, 5 and 40 steps; a sequence's
 * first steps give the same outputs whatever follows them. */
START_TEST(test_any_length)
{
    SlError e;
    static const char *const types[] = {"SimpleRNN", "LSTM", "GRU"};
    sl_clear_session();
    SlModel *m = tu_one_layer(types[_i], "3, return_sequences=True",
                              sl_shape_of(3, (int[]){2, SL_NONE, 2}), &e);
    ck_assert_msg(m != NULL, "%s", e.msg);
    ck_assert(sl_model_init_params(m, 1, &e) == 0);
    sl_real x[2 * 40 * 2], y40[2 * 40 * 3], y[2 * 40 * 3];
    SlRng r = sl_rng(9);
    for (int i = 0; i < 2 * 40 * 2; i++)
        x[i] = (sl_real)sl_rng_range(&r, -1, 1);
    run(m, sl_shape_of(3, (int[]){2, 40, 2}), x, y40, 2 * 40 * 3);
    static const int lens[] = {1, 5, 40};
    for (int k = 0; k < 3; k++) {
        int T = lens[k];
        sl_real xs[2 * 40 * 2];
        for (int b = 0; b < 2; b++)
            memcpy(xs + b * T * 2, x + b * 40 * 2, (size_t)T * 2 * sizeof *x);
        run(m, sl_shape_of(3, (int[]){2, T, 2}), xs, y, (size_t)(2 * T * 3));
        for (int b = 0; b < 2; b++)
            tu_assert_close("prefix", y + b * T * 3, y40 + b * 40 * 3, (size_t)T * 3);
    }
    sl_model_free(m);
}
END_TEST

/* Keras's parameter counts (the summary's figures) and the --explain formulas. */
static const struct {
    const char *type, *args;
    int F;
    size_t params;
    const char *formula;
} counts[] = {
    {"LSTM", "64", 1, 16896, "4*(64*(1+64) + 64) = 16896"},
    {"LSTM", "32", 5, 4864, "4*(32*(5+32) + 32) = 4864"},
    {"LSTM", "4", 3, 128, "4*(4*(3+4) + 4) = 128"},
    {"GRU", "32", 5, 3744, "3*(32*(5+32) + 2*32) = 3744"},
    {"GRU", "32, reset_after=False", 5, 3648, "3*(32*(5+32) + 32) = 3648"},
    {"SimpleRNN", "32", 5, 1216, "32*(5+32) + 32 = 1216"},
    {"LSTM", "8, use_bias=False", 2, 320, "4*(8*(2+8)) = 320"},
};
enum { N_COUNTS = sizeof counts / sizeof counts[0] };

START_TEST(test_param_counts)
{
    SlError e;
    sl_clear_session();
    SlModel *m = tu_one_layer(counts[_i].type, counts[_i].args,
                              sl_shape_of(3, (int[]){1, 7, counts[_i].F}), &e);
    ck_assert_msg(m != NULL, "%s", e.msg);
    ck_assert_uint_eq(sl_model_count_params(m), counts[_i].params);
    char f[128];
    SlLayer *l = m->nodes[m->n_nodes - 1].layer;
    l->type->formula(l, f, sizeof f);
    ck_assert_str_eq(f, counts[_i].formula);
    sl_model_free(m);
}
END_TEST

/* The errors a learner meets, each naming the layer, what it wants, what it got and the fix. */
static const struct {
    const char *type, *args;
    int rank, dims[4];
    const char *must[3];
} shape_errors[] = {
    {"LSTM",
     "64",
     2,
     {SL_NONE, 31},
     {"expects (batch, timesteps, features), got (None, 31)", "reshape the data to (N, 31, 1)",
      "Embedding"}},
    {"GRU", "4", 2, {SL_NONE, SL_NONE}, {"(batch, timesteps, features)", "input_shape=(None, 1)"}},
    {"SimpleRNN", "4", 4, {SL_NONE, 5, 10, 1}, {"got (None, 5, 10, 1)", "TimeDistributed"}},
    {"LSTM", "4", 3, {SL_NONE, 10, SL_NONE}, {"a known number of features"}},
    {"LSTM", "4, stateful=True", 3, {SL_NONE, 1, 3}, {"fixed batch size", "batch_input_shape="}},
};
enum { N_SHAPE_ERRORS = sizeof shape_errors / sizeof shape_errors[0] };

START_TEST(test_shape_error)
{
    SlError e;
    sl_clear_session();
    SlModel *m = tu_one_layer(shape_errors[_i].type, shape_errors[_i].args,
                              sl_shape_of(shape_errors[_i].rank, shape_errors[_i].dims), &e);
    ck_assert(m == NULL);
    for (int k = 0; k < 3 && shape_errors[_i].must[k]; k++)
        ck_assert_msg(strstr(e.msg, shape_errors[_i].must[k]), "wanted '%s' in: %s",
                      shape_errors[_i].must[k], e.msg);
}
END_TEST

START_TEST(test_explain)
{
    SlError e;
    sl_clear_session();
    SlShape in = sl_shape_of(3, (int[]){SL_NONE, 31, 1});
    SlModel *m = rnn_model("LSTM", "64, return_state=True", 1, &in, &e);
    const char *why = m->nodes[m->n_nodes - 1].why;
    ck_assert_msg(strstr(why, "LSTM reads 31 timesteps of 1 feature and returns the last h (64 "
                              "units), plus the final h and c: (None, 31, 1) -> (None, 64)"),
                  "%s", why);
    sl_model_free(m);
}
END_TEST

/* Embedding(mask_zero=True) into an LSTM: codes padded in front with 0 give the same output as
 * the unpadded codes, because masked steps carry the state over; without the mask they differ. */
START_TEST(test_mask_zero_padding)
{
    SlError e;
    static const char *const cells[] = {"LSTM", "GRU", "SimpleRNN"};
    for (int masked = 0; masked < 2; masked++) {
        sl_clear_session();
        SlModel *m = sl_sequential(NULL);
        char emb[64], rnn[64];
        snprintf(emb, sizeof emb, "10, 3, mask_zero=%s", masked ? "True" : "False");
        snprintf(rnn, sizeof rnn, "4");
        ck_assert(sl_model_add(m, sl_layer("InputLayer", "shape=(None,)", &e), &e) == 0);
        ck_assert(sl_model_add(m, sl_layer("Embedding", emb, &e), &e) == 0);
        ck_assert_msg(sl_model_add(m, sl_layer(cells[_i], rnn, &e), &e) == 0, "%s", e.msg);
        ck_assert(sl_model_init_params(m, 4, &e) == 0);
        sl_real padded[2 * 6] = {0, 0, 0, 5, 2, 7, 0, 1, 9, 9, 3, 8};
        sl_real plain[2 * 3] = {5, 2, 7, 0, 0, 0}, out_p[8], out_u[8];
        run(m, sl_shape_of(2, (int[]){2, 6}), padded, out_p, 8);
        run(m, sl_shape_of(2, (int[]){1, 3}), plain, out_u, 4);
        long bad = tu_mismatch(out_p, out_u, 4, TU_RTOL, TU_ATOL);
        if (masked)
            ck_assert_msg(bad < 0, "%s with mask_zero: padding changed the output", cells[_i]);
        else
            ck_assert_msg(bad >= 0, "%s without a mask: padding should disturb the state",
                          cells[_i]);
        sl_model_free(m);
    }
}
END_TEST

/* sl_rnn_steps (the scenes' window into the time loop) gives the layer's own h at every step. */
START_TEST(test_steps_match_layer)
{
    static const char *const args[] = {"LSTM",      "3, return_sequences=True, go_backwards=True",
                                       "GRU",       "3, return_sequences=True",
                                       "GRU",       "3, return_sequences=True, reset_after=False",
                                       "SimpleRNN", "3, return_sequences=True"};
    SlError e;
    sl_clear_session();
    SlModel *m = tu_one_layer(args[2 * _i], args[2 * _i + 1], sl_shape_of(3, (int[]){1, 5, 2}), &e);
    ck_assert_msg(m != NULL, "%s", e.msg);
    ck_assert(sl_model_init_params(m, 8, &e) == 0);
    sl_real x[10], y[15];
    SlRng r = sl_rng(2);
    for (int i = 0; i < 10; i++)
        x[i] = (sl_real)sl_rng_range(&r, -1, 1);
    run(m, sl_shape_of(3, (int[]){1, 5, 2}), x, y, 15);
    SlRnnSteps st;
    const SlLayer *l = m->nodes[m->n_nodes - 1].layer;
    ck_assert_msg(sl_rnn_steps(l, x, 5, NULL, NULL, &st, &e) == 0, "%s", e.msg);
    tu_assert_close("h by steps", st.h + 3, y, 15); /* h after each step: the layer's outputs */
    ck_assert_int_eq(st.G, _i == 0 ? 4 : _i == 3 ? 1 : 3);
    sl_rnn_steps_free(&st);
    sl_model_free(m);
}
END_TEST

/* The step events (rnn.h): T of each kind per call, in step order (backward from the last), named
 * as rnn.h lists them, with sample 0's numbers: x is the row the step read and h the layer's own
 * output at every step; backward, dh of the last step is that output's gradient, and the steps'
 * dz add up to the bias gradient (sample 1's outputs get none). Sample 0's step t = 2 is masked:
 * its events leave out the gates and dz, and its h is the output the layer repeats. */
static const struct {
    const char *type, *args;
    const char *names, *back_names;   /* a step that ran the cell */
    const char *masked, *back_masked; /* the masked step */
} step_cases[] = {
    {"LSTM", "3, return_sequences=True", "x i f g o c h", "dh dc dz", "x c h", "dh dc"},
    {"GRU", "3, return_sequences=True, go_backwards=True", "x z r n h", "dh dz", "x h", "dh"},
    {"GRU", "3, return_sequences=True, reset_after=False", "x z r n h", "dh dz", "x h", "dh"},
    {"SimpleRNN", "3, return_sequences=True", "x h", "dh dz", "x h", "dh"},
};
enum { N_STEP_CASES = sizeof step_cases / sizeof step_cases[0] };
enum { STEP_B = 2, STEP_T = 5, STEP_F = 2, STEP_U = 3, STEP_MASKED = 2 };

typedef struct StepLog {
    const SlLayer *l;
    int n[2]; /* STEP, BACK_STEP events */
    int step[2][STEP_T];
    char names[2][STEP_T][32]; /* by step: "x i f g o c h" */
    sl_real x[STEP_T][STEP_F], h[STEP_T][STEP_U], dh[STEP_T][STEP_U], dz_sum[4 * STEP_U];
} StepLog;

static void log_steps(void *ctx, const SlEvent *ev)
{
    StepLog *g = ctx;
    int back = ev->kind == SL_EV_BACK_STEP;
    if ((ev->kind != SL_EV_STEP && !back) || ev->layer != g->l)
        return;
    ck_assert_int_lt(g->n[back], STEP_T);
    int s = ev->step;
    ck_assert(s >= 0 && s < STEP_T);
    g->step[back][g->n[back]++] = s;
    char *names = g->names[back][s];
    for (int k = 0; k < ev->n_named; k++) {
        const char *name = ev->names[k];
        const sl_real *v = ev->named[k].data;
        size_t n = sl_tensor_count(&ev->named[k]), used = strlen(names);
        snprintf(names + used, sizeof g->names[0][0] - used, "%s%s", k ? " " : "", name);
        if (!strcmp(name, "x")) {
            ck_assert_uint_eq(n, STEP_F);
            memcpy(g->x[s], v, n * sizeof *v);
        } else if (!strcmp(name, "dz")) {
            ck_assert_uint_le(n, 4 * STEP_U);
            for (size_t j = 0; j < n; j++)
                g->dz_sum[j] += v[j];
        } else { /* the gates, c, h, dh, dc: units each */
            ck_assert_uint_eq(n, STEP_U);
            if (!strcmp(name, "h"))
                memcpy(g->h[s], v, n * sizeof *v);
            if (!strcmp(name, "dh"))
                memcpy(g->dh[s], v, n * sizeof *v);
        }
    }
}

START_TEST(test_step_events)
{
    enum { B = STEP_B, T = STEP_T, F = STEP_F, U = STEP_U };
    SlError e;
    sl_clear_session();
    SlShape shape = sl_shape_of(3, (int[]){B, T, F});
    SlModel *m = rnn_model_masked(sl_layer(step_cases[_i].type, step_cases[_i].args, &e), 1, &shape,
                                  "0.0", &e);
    ck_assert(sl_model_init_params(m, 8, &e) == 0);
    sl_real x[B * T * F], dy[B * T * U] = {0};
    SlRng r = sl_rng(4);
    for (int i = 0; i < B * T * F; i++)
        x[i] = (sl_real)sl_rng_range(&r, -1, 1);
    for (int i = 0; i < F; i++) /* sample 0 masked at one step */
        x[STEP_MASKED * F + i] = 0;
    for (int i = 0; i < T * U; i++) /* sample 0's outputs only */
        dy[i] = (sl_real)sl_rng_range(&r, -1, 1);
    StepLog g = {.l = m->nodes[m->n_nodes - 1].layer};
    SlObserver obs = {log_steps, &g};
    sl_model_set_observer(m, &obs);
    SlTensor in = sl_tensor(shape, x), d = sl_tensor(sl_shape_of(3, (int[]){B, T, U}), dy);
    ck_assert_msg(sl_model_forward(m, &in, 1, &e) == 0, "%s", e.msg);
    ck_assert_msg(sl_model_backward(m, &d, 1, &e) == 0, "%s", e.msg);
    sl_model_set_observer(m, NULL);
    const sl_real *y = sl_model_output(m, 0).data;
    int backwards = strstr(step_cases[_i].args, "go_backwards") != NULL;
    ck_assert_int_eq(g.n[0], T);
    ck_assert_int_eq(g.n[1], T);
    for (int s = 0; s < T; s++) {
        int t = backwards ? T - 1 - s : s, masked = t == STEP_MASKED;
        ck_assert_int_eq(g.step[0][s], s);
        ck_assert_int_eq(g.step[1][s], T - 1 - s);
        ck_assert_str_eq(g.names[0][s], masked ? step_cases[_i].masked : step_cases[_i].names);
        ck_assert_str_eq(g.names[1][s],
                         masked ? step_cases[_i].back_masked : step_cases[_i].back_names);
        tu_assert_close("x of the step", g.x[s], x + (size_t)t * F, F);
        tu_assert_close("h of the step", g.h[s], y + (size_t)s * U, U);
    }
    tu_assert_close("dh of the last step", g.dh[T - 1], dy + (size_t)(T - 1) * U, U);
    const SlParam *bias = m->params[m->n_params - 1];
    ck_assert_ptr_nonnull(strstr(bias->name, "bias"));
    int Gu = (int)(sl_shape_count(&bias->shape) / (bias->shape.rank == 2 ? 2 : 1));
    tu_assert_close("the steps' dz against the bias gradient", g.dz_sum, bias->grad.data,
                    (size_t)Gu);
    sl_model_free(m);
}
END_TEST

/* sl_rnn_info: the activations by their Keras names, as the layer was made. */
START_TEST(test_rnn_info)
{
    SlError e;
    SlRnnInfo info;
    sl_clear_session();
    SlLayer *l = sl_layer("LSTM",
                          "2, activation='softsign', recurrent_activation='hard_sigmoid', "
                          "go_backwards=True",
                          &e);
    ck_assert_int_eq(sl_rnn_info(l, &info), 0);
    ck_assert_str_eq(info.activation, "softsign");
    ck_assert_str_eq(info.recurrent_activation, "hard_sigmoid");
    ck_assert(info.go_backwards && !info.stateful);
    sl_layer_free(l);
    l = sl_layer("SimpleRNN", "2, activation='relu'", &e);
    ck_assert_int_eq(sl_rnn_info(l, &info), 0);
    ck_assert_str_eq(info.activation, "relu");
    ck_assert_ptr_null(info.recurrent_activation); /* SimpleRNN has no gates */
    sl_layer_free(l);
    l = sl_layer("GRU", "2", &e);
    ck_assert_int_eq(sl_rnn_info(l, &info), 0);
    ck_assert_str_eq(info.activation, "tanh");
    ck_assert_str_eq(info.recurrent_activation, "sigmoid");
    sl_layer_free(l);
    l = sl_layer("Dense", "2", &e);
    ck_assert_int_eq(sl_rnn_info(l, &info), -1);
    sl_layer_free(l);
}
END_TEST

/* Embedding(mask_zero) into Bidirectional(return_sequences): masked steps give zeros, and the
 * other steps the same outputs as the sequence without its masked steps (the state carries). */
static SlModel *masked_bi(int T, int mask, SlError *e)
{
    sl_clear_session();
    SlModel *m = sl_sequential(NULL);
    char shape[64], emb[64];
    snprintf(shape, sizeof shape, "batch_shape=(1, %d)", T);
    snprintf(emb, sizeof emb, "4, 2, mask_zero=%s", mask ? "True" : "False");
    SlArgs a;
    sl_args_init(&a);
    ck_assert(sl_model_add(m, sl_layer("InputLayer", shape, e), e) == 0);
    ck_assert(sl_model_add(m, sl_layer("Embedding", emb, e), e) == 0);
    SlLayer *w =
        sl_layer_wrap("Bidirectional", sl_layer("GRU", "3, return_sequences=True", e), &a, e);
    ck_assert_msg(sl_model_add(m, w, e) == 0, "%s", e->msg);
    ck_assert(sl_model_init_params(m, 6, e) == 0);
    return m;
}

START_TEST(test_bidirectional_mask)
{
    SlError e;
    SlModel *m = masked_bi(5, 1, &e), *plain = masked_bi(3, 0, &e);
    sl_real codes[5] = {1, 0, 2, 0, 3}, kept[3] = {1, 2, 3}, y[30], yk[18];
    run(m, sl_shape_of(2, (int[]){1, 5}), codes, y, 30);
    run(plain, sl_shape_of(2, (int[]){1, 3}), kept, yk, 18);
    static const sl_real zeros[6] = {0};
    for (int t = 0, k = 0; t < 5; t++) {
        if (codes[t] == 0) {
            tu_assert_close("masked step", y + t * 6, zeros, 6);
            continue;
        }
        tu_assert_close("unmasked step", y + t * 6, yk + k * 6, 6);
        k++;
    }
    sl_model_free(m), sl_model_free(plain);
}
END_TEST

#ifdef SL_DOUBLE
/* Masks through time, in both directions: weights checked on codes with zeros (padding) in them. */
START_TEST(test_masked_gradcheck)
{
    SlError e;
    sl_real codes[12] = {1, 2, 0, 3, 0, 0,
                         0, 0, 2, 1, 3, 3}; /* padded inside, at the end, in front */
    sl_clear_session();
    SlModel *m = sl_sequential(NULL);
    SlArgs a;
    sl_args_init(&a);
    ck_assert(sl_model_add(m, sl_layer("InputLayer", "batch_shape=(2, 6)", &e), &e) == 0);
    ck_assert(sl_model_add(m, sl_layer("Embedding", "4, 2, mask_zero=True", &e), &e) == 0);
    SlLayer *w =
        sl_layer_wrap("Bidirectional", sl_layer("LSTM", "2, return_sequences=True", &e), &a, &e);
    ck_assert(sl_model_add(m, w, &e) == 0);
    ck_assert(sl_model_add(m, sl_layer("LSTM", "2", &e), &e) == 0);
    ck_assert(sl_model_init_params(m, 3, &e) == 0);
    SlTensor in = sl_tensor(sl_shape_of(2, (int[]){2, 6}), codes);
    SlGradcheckOptions o = sl_gradcheck_defaults();
    SlGradcheckReport rep;
    ck_assert_msg(sl_gradcheck(m, &in, &o, &rep, &e) == 0, "%s", e.msg);
    char table[4096];
    sl_gradcheck_format(&rep, table, sizeof table);
    ck_assert_msg(rep.ok, "%s", table);
    sl_model_free(m);
}
END_TEST

/* Embedding's table through an LSTM: the rows that were looked up, checked on whole codes. */
START_TEST(test_embedding_gradcheck)
{
    SlError e;
    sl_clear_session();
    SlModel *m = sl_sequential(NULL);
    ck_assert(sl_model_add(m, sl_layer("InputLayer", "batch_shape=(2, 5)", &e), &e) == 0);
    ck_assert(sl_model_add(m, sl_layer("Embedding", "7, 3", &e), &e) == 0);
    ck_assert(sl_model_add(m, sl_layer("LSTM", "2", &e), &e) == 0);
    ck_assert(sl_model_init_params(m, 2, &e) == 0);
    sl_real x[10];
    SlTensor in = sl_tensor(sl_shape_of(2, (int[]){2, 5}), x);
    SlRng r = sl_rng(3);
    sl_gradcheck_fill_model_input(m, 0, &in, &r);
    for (int i = 0; i < 10; i++)
        ck_assert(x[i] >= 0 && x[i] < 7 && x[i] == (int)x[i]);
    SlGradcheckOptions o = sl_gradcheck_defaults();
    SlGradcheckReport rep;
    ck_assert_msg(sl_gradcheck(m, &in, &o, &rep, &e) == 0, "%s", e.msg);
    char table[4096];
    sl_gradcheck_format(&rep, table, sizeof table);
    ck_assert_msg(rep.ok && !rep.rows[0].all_zero, "%s", table);
    ck_assert_str_eq(rep.rows[0].name, "embedding/embeddings");
    ck_assert_int_eq(rep.n_rows, 4); /* the codes themselves have no gradient to check */
    sl_model_free(m);
}
END_TEST
#endif

static Suite *suite(void)
{
    Suite *s = suite_create("rnn");
    TCase *t = tcase_create("pytorch");
    tcase_set_timeout(t, 30);
    tcase_add_loop_test(t, test_fixture, 0, N_FIXTURES);
    suite_add_tcase(s, t);
#ifdef SL_DOUBLE
    t = tcase_create("gradcheck");
    tcase_set_timeout(t, 60);
    tcase_add_loop_test(t, test_gradcheck, 0, N_GC);
    tcase_add_loop_test(t, test_gradcheck_wrapped, 0, N_GC_WRAPPED);
    tcase_add_loop_test(t, test_gradcheck_dropout, 0, N_GC_DROPOUT);
    tcase_add_test(t, test_bidirectional_initial_state);
    suite_add_tcase(s, t);
#endif
    t = tcase_create("behaviour");
    tcase_set_timeout(t, 30);
    tcase_add_test(t, test_stateful_continues);
    tcase_add_test(t, test_dropout_modes);
    tcase_add_test(t, test_backward_layer);
    tcase_add_loop_test(t, test_any_length, 0, 3);
    tcase_add_loop_test(t, test_param_counts, 0, N_COUNTS);
    tcase_add_loop_test(t, test_shape_error, 0, N_SHAPE_ERRORS);
    tcase_add_test(t, test_explain);
    tcase_add_loop_test(t, test_mask_zero_padding, 0, 3);
    tcase_add_loop_test(t, test_steps_match_layer, 0, 4);
    tcase_add_loop_test(t, test_step_events, 0, N_STEP_CASES);
    tcase_add_test(t, test_rnn_info);
    tcase_add_test(t, test_bidirectional_mask);
#ifdef SL_DOUBLE
    tcase_add_test(t, test_embedding_gradcheck);
    tcase_add_test(t, test_masked_gradcheck);
#endif
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    return tu_run(suite()) ? 1 : 0;
}
