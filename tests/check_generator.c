/* check_generator.c: fit from a batch generator, pad_sequences, and padding with and without a
 * mask (outputs and losses of padded sequences against the same sequences unpadded). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "script/script.h"
#include "testutil.h"
#include "train.h"

static SlModel *seq(const char *const *layers, int n, SlError *e)
{
    sl_clear_session();
    SlModel *m = sl_sequential(NULL);
    for (int i = 0; i < n; i += 2)
        if (sl_model_add(m, sl_layer(layers[i], layers[i + 1], e), e) < 0) {
            sl_model_free(m);
            return NULL;
        }
    return m;
}

/* A model from Keras code (the script owns it): for TimeDistributed(Dense(...)). */
typedef struct Built {
    SlScript *script;
    SlModel *m;
} Built;

static Built keras(const char *code)
{
    SlScriptOptions so;
    SlError e;
    Built b;
    memset(&so, 0, sizeof so);
    b.script = sl_script_run_text("model.py", code, strlen(code), &so, &e);
    ck_assert_msg(b.script != NULL, "%s", e.msg);
    b.m = sl_script_model(b.script, &e);
    ck_assert_msg(b.m != NULL, "%s", e.msg);
    return b;
}

/* ---- fit_generator ---- */

/* Fixed data (with per-sample weights in the second case) cut into batches of 8: the generator hands out views of batch step % 3. */
enum { N = 24, BS = 8, NB = N / BS };
static sl_real fx[N * 5], fy[N], fw[N];

typedef struct Fixed {
    int calls, weighted;
} Fixed;

static int fixed_batches(void *ctx, int step, SlTensor *x, SlTensor *y, SlTensor *sw, SlError *e)
{
    (void)e;
    int b = step % NB;
    ((Fixed *)ctx)->calls++;
    if (((Fixed *)ctx)->weighted)
        sw[0] = sl_tensor(sl_shape_of(1, (int[]){BS}), fw + b * BS);
    x[0] = sl_tensor(sl_shape_of(2, (int[]){BS, 5}), fx + b * BS * 5);
    y[0] = sl_tensor(sl_shape_of(2, (int[]){BS, 1}), fy + b * BS);
    return 0;
}

static void fill_fixed(void)
{
    for (int i = 0; i < N * 5; i++)
        fx[i] = (sl_real)sin(0.7 * i);
    for (int i = 0; i < N; i++) {
        fy[i] = fx[i * 5] - 0.5f * fx[i * 5 + 3];
        fw[i] = (sl_real)(i % 4); /* per-sample weights, some 0 */
    }
}

START_TEST(test_generator_matches_fit)
{
    SlError e;
    const char *L[] = {"Dense", "6, activation='tanh', input_shape=(5,)", "Dense", "1"};
    SlTensor w[4], w0[4];
    static sl_real keep[4][64];
    fill_fixed();
    SlModel *a = seq(L, 4, &e), *b = seq(L, 4, &e);
    ck_assert(a && b);
    ck_assert(sl_compile(a, "loss='mse', optimizer='adam'", &e) == 0);
    ck_assert(sl_compile(b, "loss='mse', optimizer='adam'", &e) == 0);
    int n = sl_model_get_weights(a, w0, 4, &e);
    ck_assert_int_eq(n, 4);
    ck_assert(sl_model_set_weights(b, w0, n, &e) == 0);
    SlTensor X = sl_tensor(sl_shape_of(2, (int[]){N, 5}), fx);
    SlTensor Y = sl_tensor(sl_shape_of(2, (int[]){N, 1}), fy);
    SlFitOptions o = sl_fit_defaults();
    o.verbose = 0;
    o.epochs = 4;
    o.batch_size = BS;
    o.shuffle = 0;
    SlTensor SW = sl_tensor(sl_shape_of(1, (int[]){N}), fw);
    o.sample_weight = _i ? &SW : NULL;
    SlFitGeneratorOptions g = sl_fit_generator_defaults();
    g.verbose = 0;
    g.epochs = 4;
    g.steps_per_epoch = NB;
    Fixed ctx = {0, _i};
    SlHistory ha, hb;
    ck_assert_msg(sl_model_fit(a, &X, &Y, &o, &ha, &e) == 0, "%s", e.msg);
    ck_assert_msg(sl_model_fit_generator(b, fixed_batches, &ctx, &g, &hb, &e) == 0, "%s", e.msg);
    ck_assert_int_eq(ctx.calls, 4 * NB);
    ck_assert_int_eq(hb.n_epochs, 4);
    for (int ep = 0; ep < 4; ep++) {
        double la = sl_history_get(&ha, "loss", ep), lb = sl_history_get(&hb, "loss", ep);
        ck_assert_msg(fabs(la - lb) <= 1e-6 * fabs(la), "epoch %d: fit %.9g, generator %.9g",
                      ep + 1, la, lb);
    }
    ck_assert(sl_history_get(&hb, "loss", 3) < sl_history_get(&hb, "loss", 0));
    for (int i = 0; i < n; i++)
        memcpy(keep[i], w0[i].data, sl_tensor_count(&w0[i]) * sizeof(sl_real));
    ck_assert(sl_model_get_weights(b, w, 4, &e) == n);
    for (int i = 0; i < n; i++)
        tu_assert_close("weights after training", keep[i], w[i].data, sl_tensor_count(&w[i]));
    sl_history_free(&ha);
    sl_history_free(&hb);
    sl_model_free(a);
    sl_model_free(b);
}
END_TEST

/* Batches of other lengths and sizes through one LSTM: target = the sum of the step's features.
 */
enum { MAXB = 6, MAXT = 12, NSHAPES = 4 };
static const int var_b[NSHAPES] = {4, 2, 6, 3}, var_t[NSHAPES] = {5, 12, 3, 9};
static sl_real vx[MAXB * MAXT * 3], vy[MAXB * MAXT];

static int varying(void *ctx, int step, SlTensor *x, SlTensor *y, SlTensor *sw, SlError *e)
{
    (void)ctx;
    (void)sw;
    (void)e;
    int B = var_b[step % NSHAPES], T = var_t[step % NSHAPES];
    for (int i = 0; i < B * T; i++) {
        double s = 0;
        for (int f = 0; f < 3; f++)
            s += vx[i * 3 + f] = (sl_real)sin(1.3 * (step * 97 + i * 3 + f));
        vy[i] = (sl_real)(s / 3);
    }
    x[0] = sl_tensor(sl_shape_of(3, (int[]){B, T, 3}), vx);
    y[0] = sl_tensor(sl_shape_of(3, (int[]){B, T, 1}), vy);
    return 0;
}

static long at_batch[64];
static int n_batches;
static void on_batch(void *ctx, const SlEvent *ev)
{
    (void)ctx;
    if (ev->kind == SL_EV_BATCH_END && n_batches < 64)
        at_batch[n_batches++] = tu_n_allocs;
}

START_TEST(test_generator_lengths_vary)
{
    SlAllocator old = sl_set_allocator(&tu_counting_allocator);
    SlError e;
    Built b = keras("model = Sequential()\n"
                    "model.add(LSTM(8, return_sequences=True, input_shape=(None, 3)))\n"
                    "model.add(TimeDistributed(Dense(1)))\n"
                    "model.compile(loss='mse', optimizer='adam')\n");
    SlModel *m = b.m;
    SlFitGeneratorOptions g = sl_fit_generator_defaults();
    g.verbose = 0;
    g.epochs = 6;
    g.steps_per_epoch = 2 * NSHAPES;
    SlObserver obs = {on_batch, NULL};
    sl_model_set_observer(m, &obs);
    n_batches = 0;
    SlHistory h;
    ck_assert_msg(sl_model_fit_generator(m, varying, NULL, &g, &h, &e) == 0, "%s", e.msg);
    sl_set_allocator(&old);
    ck_assert_int_eq(n_batches, 6 * 2 * NSHAPES);
    /* after the first NSHAPES steps every shape has come by: nothing more is allocated */
    for (int i = NSHAPES; i < n_batches; i++)
        ck_assert_msg(at_batch[i] == at_batch[NSHAPES - 1], "step %d allocated %ld times", i,
                      at_batch[i] - at_batch[i - 1]);
    double first = sl_history_get(&h, "loss", 0), last = sl_history_get(&h, "loss", 5);
    ck_assert_msg(isfinite(last) && last < 0.9 * first, "loss %g -> %g", first, last);
    sl_history_free(&h);
    sl_script_free(b.script);
}
END_TEST

/* A generator that hands out a wrong batch at step 2, or a wrong target. */
static int bad_at_2(void *ctx, int step, SlTensor *x, SlTensor *y, SlTensor *sw, SlError *e)
{
    int which = *(int *)ctx;
    varying(NULL, step, x, y, sw, e);
    if (step == 2 && which == 0)
        x[0].shape = sl_shape_of(3, (int[]){2, 7, 2});
    if (step == 2 && which == 1)
        y[0].shape = sl_shape_of(3, (int[]){6, 2, 1});
    if (step == 2 && which == 2)
        return sl_errorf(e, "out of data");
    return 0;
}

START_TEST(test_generator_errors)
{
    SlError e;
    const char *L[] = {"LSTM", "4, return_sequences=True, input_shape=(None, 3)", "Dense", "1"};
    SlModel *m = seq(L, 4, &e);
    ck_assert(sl_compile(m, "loss='mse', optimizer='sgd'", &e) == 0);
    SlFitGeneratorOptions g = sl_fit_generator_defaults();
    g.verbose = 0;
    g.epochs = 2;
    static const char *const must[3][3] = {
        {"step 2", "(None, None, 3)", "(2, 7, 2)"},
        {"step 2", "(6, 3, 1)", "(6, 2, 1)"},
        {"step 2", "the generator failed", "out of data"},
    };
    ck_assert(sl_model_fit_generator(m, bad_at_2, NULL, &g, NULL, &e) < 0);
    ck_assert_msg(strstr(e.msg, "steps_per_epoch"), "%s", e.msg);
    g.steps_per_epoch = 4;
    for (int which = 0; which < 3; which++) {
        SlHistory h;
        ck_assert(sl_model_fit_generator(m, bad_at_2, &which, &g, &h, &e) < 0);
        for (int k = 0; k < 3; k++)
            ck_assert_msg(strstr(e.msg, must[which][k]), "case %d: '%s' not in: %s", which,
                          must[which][k], e.msg);
        sl_history_free(&h);
    }
    sl_model_free(m);
}
END_TEST

static double fake_now;
static double fake_clock(void)
{
    return fake_now += 0.1;
}

/* verbose 2: one line per epoch, with val_loss from a validation generator */
START_TEST(test_generator_progbar_and_validation)
{
    SlError e;
    const char *L[] = {"Dense", "3, input_shape=(5,)", "Dense", "1"};
    fill_fixed();
    SlModel *m = seq(L, 4, &e);
    ck_assert(sl_compile(m, "loss='mse', optimizer='adam'", &e) == 0);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    SlFitGeneratorOptions g = sl_fit_generator_defaults();
    g.verbose = 2;
    g.epochs = 2;
    g.steps_per_epoch = NB;
    g.validation_data = fixed_batches;
    Fixed t = {0}, v = {0};
    g.validation_ctx = &v;
    g.validation_steps = 1;
    g.out = f;
    g.clock = fake_clock;
    SlHistory h;
    ck_assert_msg(sl_model_fit_generator(m, fixed_batches, &t, &g, &h, &e) == 0, "%s", e.msg);
    fclose(f);
    ck_assert_int_eq(v.calls, 2);
    ck_assert_msg(!strncmp(buf, "Epoch 1/2\n3/3 - 0s - loss: ", 27), "%s", buf);
    ck_assert_msg(strstr(buf, " - val_loss: ") && strstr(buf, "Epoch 2/2\n3/3 - "), "%s", buf);
    ck_assert(!isnan(sl_history_get(&h, "val_loss", 1)));
    free(buf);
    sl_history_free(&h);
    sl_model_free(m);
}
END_TEST

/* ---- pad_sequences ---- */

typedef struct PadCase {
    int maxlen;
    const char *dtype, *padding, *truncating;
    double value;
    const char *shape;
    sl_real want[16];
} PadCase;

/* [[1, 2, 3], [4, 5], [6, 7, 8, 9]] as Keras pads them (worked by hand) */
static const PadCase pad_cases[] = {
    {0, NULL, NULL, NULL, 0, "(3, 4)", {0, 1, 2, 3, 0, 0, 4, 5, 6, 7, 8, 9}},
    {0, NULL, "post", NULL, 0, "(3, 4)", {1, 2, 3, 0, 4, 5, 0, 0, 6, 7, 8, 9}},
    {3, NULL, NULL, NULL, 0, "(3, 3)", {1, 2, 3, 0, 4, 5, 7, 8, 9}},
    {3, NULL, NULL, "post", 0, "(3, 3)", {1, 2, 3, 0, 4, 5, 6, 7, 8}},
    {2, NULL, "post", "post", 0, "(3, 2)", {1, 2, 4, 5, 6, 7}},
    {0, NULL, "post", NULL, -1, "(3, 4)", {1, 2, 3, -1, 4, 5, -1, -1, 6, 7, 8, 9}},
    {0, NULL, NULL, NULL, 2.9, "(3, 4)", {2, 1, 2, 3, 2, 2, 4, 5, 6, 7, 8, 9}}, /* int(2.9) */
    {5,
     "float32",
     NULL,
     NULL,
     0.5,
     "(3, 5)",
     {0.5, 0.5, 1, 2, 3, 0.5, 0.5, 0.5, 4, 5, 0.5, 6, 7, 8, 9}},
};

START_TEST(test_pad_sequences)
{
    static sl_real a[] = {1, 2, 3}, b[] = {4, 5}, c[] = {6, 7, 8, 9};
    const PadCase *pc = &pad_cases[_i];
    SlTensor s[3] = {sl_tensor(sl_shape_of(1, (int[]){3}), a),
                     sl_tensor(sl_shape_of(1, (int[]){2}), b),
                     sl_tensor(sl_shape_of(1, (int[]){4}), c)};
    SlPadOptions o = sl_pad_defaults();
    o.maxlen = pc->maxlen;
    o.dtype = pc->dtype ? pc->dtype : o.dtype;
    o.padding = pc->padding ? pc->padding : o.padding;
    o.truncating = pc->truncating ? pc->truncating : o.truncating;
    o.value = pc->value;
    SlTensor out;
    SlError e;
    char buf[64];
    ck_assert_msg(sl_pad_sequences(s, 3, &o, &out, &e) == 0, "%s", e.msg);
    ck_assert_str_eq(sl_shape_str(&out.shape, buf, sizeof buf), pc->shape);
    for (size_t i = 0; i < sl_tensor_count(&out); i++)
        ck_assert_msg(out.data[i] == pc->want[i], "case %d, element %zu: %g, expected %g", _i, i,
                      (double)out.data[i], (double)pc->want[i]);
    sl_free(out.data);
}
END_TEST

/* Features per step, and the int32 default truncating toward zero: 0.7 -> 0, -1.5 -> -1. */
START_TEST(test_pad_sequences_features_and_dtype)
{
    static sl_real a[] = {0.7f, -1.5f, 2.25f, 3}, b[] = {-0.2f, 9.99f};
    SlTensor s[3] = {sl_tensor(sl_shape_of(2, (int[]){2, 2}), a),
                     sl_tensor(sl_shape_of(2, (int[]){1, 2}), b),
                     sl_tensor(sl_shape_of(2, (int[]){0, 2}), b)}; /* empty: all padding */
    SlPadOptions o = sl_pad_defaults();
    SlTensor out;
    SlError e;
    char buf[64];
    ck_assert(sl_pad_sequences(s, 3, &o, &out, &e) == 0);
    ck_assert_str_eq(sl_shape_str(&out.shape, buf, sizeof buf), "(3, 2, 2)");
    static const sl_real as_int[] = {0, -1, 2, 3, 0, 0, 0, 9, 0, 0, 0, 0};
    for (int i = 0; i < 12; i++)
        ck_assert_msg(out.data[i] == as_int[i], "int32 %d: %g", i, (double)out.data[i]);
    sl_free(out.data);
    o.dtype = "float32";
    o.padding = "post";
    ck_assert(sl_pad_sequences(s, 3, &o, &out, &e) == 0);
    static const sl_real kept[] = {0.7f, -1.5f, 2.25f, 3, -0.2f, 9.99f, 0, 0, 0, 0, 0, 0};
    for (int i = 0; i < 12; i++)
        ck_assert_msg(out.data[i] == kept[i], "float32 %d: %g", i, (double)out.data[i]);
    sl_free(out.data);
    /* errors: another feature count, a padding side Keras does not know */
    s[1].shape = sl_shape_of(2, (int[]){1, 1});
    ck_assert(sl_pad_sequences(s, 2, &o, &out, &e) < 0);
    ck_assert_msg(strstr(e.msg, "sequence 1 has shape (1, 1), but sequence 0 has (2, 2)"), "%s",
                  e.msg);
    ck_assert(out.data == NULL);
    o.padding = "middle";
    ck_assert(sl_pad_sequences(s, 1, &o, &out, &e) < 0);
    ck_assert_msg(strstr(e.msg, "padding 'middle' not understood"), "%s", e.msg);
}
END_TEST

/* ---- padding with and without a mask ---- */

/* Three sequences of 3, 6 and 4 steps (4 features), padded to 6 with zeros, before or after. */
enum { NS = 3, TP = 6, F = 4, U = 5 };
static const int lens[NS] = {3, 6, 4};

typedef struct MaskCase {
    const char *cell, *padding;
} MaskCase;
static const MaskCase mask_cases[] = {
    {"LSTM", "pre"}, {"LSTM", "post"}, {"GRU", "pre"}, {"GRU", "post"}};

static Built masked_model(const char *cell, int masking, SlError *e)
{
    char code[512];
    snprintf(code, sizeof code,
             "model = Sequential()\n"
             "%s"
             "model.add(%s(%d, return_sequences=True%s))\n"
             "model.add(TimeDistributed(Dense(1, activation='sigmoid')))\n"
             "model.compile(loss='binary_crossentropy', optimizer='adam')\n",
             masking ? "model.add(Masking(mask_value=0.0, input_shape=(None, 4)))\n" : "", cell, U,
             masking ? "" : ", input_shape=(None, 4)");
    Built b = keras(code);
    ck_assert(sl_model_init_params(b.m, 3, e) == 0);
    /* Fresh biases are zero, and then a zero step leaves a zero state at zero (h = 0 stays 0):
     * give the layer the biases training would, or pre-padding could not disturb anything. */
    SlTensor w[5];
    ck_assert_int_eq(sl_model_get_weights(b.m, w, 5, e), 5);
    for (size_t j = 0; j < sl_tensor_count(&w[2]); j++)
        w[2].data[j] += (sl_real)(0.5 * sin(3.0 * j + 1));
    return b;
}

START_TEST(test_padding_with_and_without_mask)
{
    const MaskCase *mc = &mask_cases[_i];
    static sl_real xs[NS][TP * F], ys[NS][TP];
    SlTensor sx[NS], sy[NS];
    SlRng r = sl_rng(7);
    for (int i = 0; i < NS; i++) {
        for (int j = 0; j < lens[i] * F; j++)
            xs[i][j] = (sl_real)(sl_rng_uniform(&r) * 2 - 1);
        for (int t = 0; t < lens[i]; t++)
            ys[i][t] = (sl_real)(sl_rng_uniform(&r) < 0.5);
        sx[i] = sl_tensor(sl_shape_of(2, (int[]){lens[i], F}), xs[i]);
        sy[i] = sl_tensor(sl_shape_of(1, (int[]){lens[i]}), ys[i]);
    }
    SlPadOptions po = sl_pad_defaults();
    po.dtype = "float32";
    po.padding = mc->padding;
    SlTensor X, Y;
    SlError e;
    ck_assert(sl_pad_sequences(sx, NS, &po, &X, &e) == 0);
    po.value = 1; /* padded targets: anything, a mask leaves them out */
    ck_assert(sl_pad_sequences(sy, NS, &po, &Y, &e) == 0);
    Y.shape = sl_shape_of(3, (int[]){NS, TP, 1});
    for (int masking = 0; masking < 2; masking++) {
        Built b = masked_model(mc->cell, masking, &e);
        SlModel *m = b.m;
        SlTensor P;
        SlLogs padded;
        ck_assert(sl_model_predict(m, &X, 0, &P, &e) == 0);
        ck_assert_msg(sl_model_evaluate(m, &X, &Y, NULL, 0, &padded, &e) == 0, "%s", e.msg);
        /* each sequence alone, unpadded: its outputs, and the loss over every real step */
        double worst = 0, last_diff = 0, sum = 0;
        int steps = 0;
        for (int i = 0; i < NS; i++) {
            SlTensor x1 = sl_tensor(sl_shape_of(3, (int[]){1, lens[i], F}), xs[i]), p1;
            SlTensor y1 = sl_tensor(sl_shape_of(3, (int[]){1, lens[i], 1}), ys[i]);
            SlLogs one;
            ck_assert(sl_model_predict(m, &x1, 0, &p1, &e) == 0);
            ck_assert(sl_model_evaluate(m, &x1, &y1, NULL, 0, &one, &e) == 0);
            int off = !strcmp(mc->padding, "pre") ? TP - lens[i] : 0;
            for (int t = 0; t < lens[i]; t++)
                worst = fmax(worst, fabs((double)P.data[i * TP + off + t] - (double)p1.data[t]));
            /* the last step of the padded row: the sequence's last output when masked */
            last_diff = fmax(last_diff,
                             fabs((double)P.data[i * TP + TP - 1] - (double)p1.data[lens[i] - 1]));
            sum += sl_logs_get(&one, "loss") * lens[i];
            steps += lens[i];
            sl_free(p1.data);
        }
        double lp = sl_logs_get(&padded, "loss"), lu = sum / steps;
        if (masking) {
            ck_assert_msg(worst < 1e-5 && last_diff < 1e-5, "%s %s masked: outputs differ by %g",
                          mc->cell, mc->padding, fmax(worst, last_diff));
            ck_assert_msg(fabs(lp - lu) < 1e-5, "%s %s masked: loss %.7f padded, %.7f unpadded",
                          mc->cell, mc->padding, lp, lu);
        } else {
            /* pre-padding disturbs the state before the real steps; post-padding runs on after
             * them, so the last output and the loss (padded steps counted) change */
            if (!strcmp(mc->padding, "pre"))
                ck_assert_msg(worst > 1e-3, "%s pre, no mask: outputs should differ", mc->cell);
            else
                ck_assert_msg(last_diff > 1e-3, "%s post, no mask: the end should differ",
                              mc->cell);
            ck_assert_msg(fabs(lp - lu) > 1e-3, "%s %s, no mask: the loss should differ", mc->cell,
                          mc->padding);
        }
        sl_free(P.data);
        sl_script_free(b.script);
    }
    sl_free(X.data);
    sl_free(Y.data);
}
END_TEST

/* A per-step sample weight of 0 vs a mask on the same steps (CONTRACT.md): sum(l*w)/(B*T) vs
 * sum(l*m)/sum(m), recomputed here from the per-step losses. */
START_TEST(test_zero_weight_is_not_a_mask)
{
    SlError e;
    static sl_real x[2 * 4 * 2], y[2 * 4], w[2 * 4];
    for (int i = 0; i < 16; i++)
        x[i] = (sl_real)(0.3 * sin(i + 1.0) + 0.5);
    for (int i = 0; i < 8; i++) {
        y[i] = (sl_real)(i % 3 == 0);
        w[i] = 1;
    }
    x[0] = x[1] = x[2] = x[3] = 0; /* sample 0: two padded steps in front */
    w[0] = w[1] = 0;
    Built b = keras("model = Sequential([Masking(input_shape=(4, 2)),\n"
                    "    TimeDistributed(Dense(1, activation='sigmoid'))])\n"
                    "model.compile(loss='binary_crossentropy', optimizer='adam')\n");
    SlModel *m = b.m;
    SlTensor X = sl_tensor(sl_shape_of(3, (int[]){2, 4, 2}), x);
    SlTensor Y = sl_tensor(sl_shape_of(3, (int[]){2, 4, 1}), y);
    SlTensor W = sl_tensor(sl_shape_of(2, (int[]){2, 4}), w), P;
    SlLogs masked, weighted;
    ck_assert(sl_model_evaluate(m, &X, &Y, NULL, 0, &masked, &e) == 0);
    ck_assert(sl_model_predict(m, &X, 0, &P, &e) == 0);
    double sum = 0;
    for (int i = 2; i < 8; i++) {
        double p = fmin(fmax((double)P.data[i], 1e-7), 1 - 1e-7);
        sum -= y[i] ? log(p) : log(1 - p);
    }
    sl_free(P.data);
    /* the same Dense, no Masking: the weights take the steps out */
    static sl_real keep[2][2];
    SlTensor wts[2];
    ck_assert(sl_model_get_weights(m, wts, 2, &e) == 2);
    memcpy(keep[0], wts[0].data, 2 * sizeof(sl_real));
    keep[1][0] = wts[1].data[0];
    wts[0].data = keep[0];
    wts[1].data = keep[1];
    Built pb = keras("model = Sequential([\n"
                     "    TimeDistributed(Dense(1, activation='sigmoid'), input_shape=(4, 2))])\n"
                     "model.compile(loss='binary_crossentropy', optimizer='adam')\n");
    SlModel *plain = pb.m;
    ck_assert(sl_model_set_weights(plain, wts, 2, &e) == 0);
    ck_assert(sl_model_evaluate(plain, &X, &Y, &W, 0, &weighted, &e) == 0);
    double lm = sl_logs_get(&masked, "loss"), lw = sl_logs_get(&weighted, "loss");
    ck_assert_msg(fabs(lm - sum / 6) < 1e-5, "mask: %.7f, by hand %.7f", lm, sum / 6);
    ck_assert_msg(fabs(lw - sum / 8) < 1e-5, "weights: %.7f, by hand %.7f", lw, sum / 8);
    sl_script_free(pb.script);
    sl_script_free(b.script);
}
END_TEST

static Suite *generator_suite(void)
{
    Suite *s = suite_create("generator");
    TCase *tc = tcase_create("fit_generator");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_generator_matches_fit, 0, 2);
    tcase_add_test(tc, test_generator_lengths_vary);
    tcase_add_test(tc, test_generator_errors);
    tcase_add_test(tc, test_generator_progbar_and_validation);
    suite_add_tcase(s, tc);
    tc = tcase_create("pad_sequences");
    tcase_set_timeout(tc, 10);
    tcase_add_loop_test(tc, test_pad_sequences, 0, sizeof pad_cases / sizeof pad_cases[0]);
    tcase_add_test(tc, test_pad_sequences_features_and_dtype);
    suite_add_tcase(s, tc);
    tc = tcase_create("masks");
    tcase_set_timeout(tc, 30);
    tcase_add_loop_test(tc, test_padding_with_and_without_mask, 0,
                        sizeof mask_cases / sizeof mask_cases[0]);
    tcase_add_test(tc, test_zero_weight_is_not_a_mask);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(generator_suite()) ? EXIT_FAILURE : EXIT_SUCCESS;
}
