/* Lesson 13: padding sequences to one length, and masking the padding (QUESTIONS.md item 6).
 *
 * Sequences of 6, 10, 3 and 8 steps (lesson 12's task: 5 features, a label per step) become one
 * (4, 10, 5) batch with pad_sequences. First the trap: its default dtype='int32' truncates every
 * float toward zero, silently. Then the model of 05_variable_length.py, briefly trained, runs the
 * padded batch: without a mask the padded steps change the state (and count in the loss); with
 * Masking in front (06_masking.py, the same weights) the outputs at the real steps and the loss
 * are those of the sequences run one by one, unpadded. Last: a sample weight of 0 on the padded
 * steps is not a mask, because Keras still divides by every step (CONTRACT.md).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "lesson.h"
#include "script/script.h"

enum { NSEQ = 4, TMAX = 10, F = 5, C = 2 };
static const int lens[NSEQ] = {6, 10, 3, 8};
static sl_real xs[NSEQ][TMAX * F], ys[NSEQ][TMAX * C];

static const char plain_py[] = "model = Sequential()\n"
                               "model.add(LSTM(32, return_sequences=True, input_shape=(None, 5)))\n"
                               "model.add(LSTM(8, return_sequences=True))\n"
                               "model.add(TimeDistributed(Dense(2, activation='sigmoid')))\n"
                               "model.compile(loss='binary_crossentropy', optimizer='adam')\n";
static const char masked_py[] = "model = Sequential()\n"
                                "model.add(Masking(mask_value=0.0, input_shape=(None, 5)))\n"
                                "model.add(LSTM(32, return_sequences=True))\n"
                                "model.add(LSTM(8, return_sequences=True))\n"
                                "model.add(TimeDistributed(Dense(2, activation='sigmoid')))\n"
                                "model.compile(loss='binary_crossentropy', optimizer='adam')\n";

/* One sequence of lesson 12's task: feature 0 holds the sum of the last 5 lagged features (the
 * question's NumPy view wrote it there), the label is whether it exceeds 2.5, one-hot. */
static void make_sequence(SlRng *r, int T, sl_real *x, sl_real *y)
{
    for (int i = 0; i < T * F; i++)
        x[i] = (sl_real)sl_rng_uniform(r);
    for (int t = 0; t < T; t++) {
        for (int i = 1; i < 5 && t >= i; i++)
            x[t * F] += x[(t - i) * F + i];
        y[t * C] = (sl_real)(x[t * F] <= (sl_real)2.5);
        y[t * C + 1] = (sl_real)(x[t * F] > (sl_real)2.5);
    }
}

/* Batches of 32 sequences of 10..99 steps, for a short training of the plain model. */
static int next_batch(void *ctx, int step, SlTensor *x, SlTensor *y, SlTensor *sw, SlError *e)
{
    static sl_real bx[32 * 99 * F], by[32 * 99 * C];
    SlRng *r = ctx;
    int T = 10 + (int)sl_rng_below(r, 90);
    (void)step, (void)sw, (void)e;
    for (int b = 0; b < 32; b++)
        make_sequence(r, T, bx + b * T * F, by + b * T * C);
    x[0] = sl_tensor(sl_shape_of(3, (int[]){32, T, F}), bx);
    y[0] = sl_tensor(sl_shape_of(3, (int[]){32, T, C}), by);
    return 0;
}

static SlModel *build(const char *name, const char *py, SlScript **s, SlError *e)
{
    SlScriptOptions so;
    memset(&so, 0, sizeof so);
    *s = sl_script_run_text(name, py, strlen(py), &so, e);
    SlModel *m = *s ? sl_script_model(*s, e) : NULL;
    if (!m || sl_model_init_params(m, 0, e) < 0)
        lesson_die(e);
    return m;
}

/* pad_sequences(seqs, padding=side, dtype=dtype): inputs, or the targets when targets. */
static SlTensor pad(const char *side, const char *dtype, int targets, SlError *e)
{
    SlTensor seqs[NSEQ], out;
    for (int i = 0; i < NSEQ; i++)
        seqs[i] =
            sl_tensor(sl_shape_of(2, (int[]){lens[i], targets ? C : F}), targets ? ys[i] : xs[i]);
    SlPadOptions o = sl_pad_defaults();
    o.padding = side;
    o.dtype = dtype;
    if (sl_pad_sequences(seqs, NSEQ, &o, &out, e) < 0)
        lesson_die(e);
    return out;
}

static void step_pad(Lesson *ls, SlError *e)
{
    lesson_step(ls, "pad_sequences: one (4, 10, 5) batch, and the int32 trap");
    printf("  Four sequences of %d, %d, %d and %d steps cannot share an array. Padded:\n\n"
           "  X = pad_sequences(seqs, dtype='float32')   # padding='pre', value=0.0\n",
           lens[0], lens[1], lens[2], lens[3]);
    SlTensor X = pad("pre", "float32", 0, e), I = pad("pre", "int32", 0, e);
    char a[64];
    printf("  X.shape = %s; sequence 2 (3 steps) is now 7 steps of zeros, then its own 3.\n"
           "  Feature 1 of sequence 2, step by step:  ",
           sl_shape_str(&X.shape, a, sizeof a));
    for (int t = 0; t < TMAX; t++)
        printf("%.2f ", (double)X.data[(2 * TMAX + t) * F + 1]);
    printf("\n\n  Without dtype='float32', Keras's default dtype='int32' casts like NumPy's\n"
           "  astype: every value truncated toward zero, silently. The same row:\n"
           "  pad_sequences(seqs)                      ");
    int whole = 1;
    for (int t = 0; t < TMAX; t++) {
        printf("%.0f    ", (double)I.data[(2 * TMAX + t) * F + 1]);
        for (int f = 0; f < F; f++)
            whole &=
                I.data[(2 * TMAX + t) * F + f] == truncf((float)X.data[(2 * TMAX + t) * F + f]);
    }
    printf("\n  Features 1-4 are in [0, 1): all became 0. Only feature 0 (a sum, up to 5)\n"
           "  keeps its whole part. A model trained on that learns nothing, with no error.\n");
    lesson_expect(whole && I.data[(2 * TMAX + 7) * F + 1] == 0, "int32 padding should truncate");
    sl_free(X.data);
    sl_free(I.data);
}

/* Run the padded batch through m; the largest output difference at real steps from each
 * sequence run alone, unpadded; the padded loss, and the unpadded loss over every real step. */
static void compare(SlModel *m, const char *side, double *diff, double *lp, double *lu, SlError *e)
{
    SlTensor X = pad(side, "float32", 0, e), Y = pad(side, "float32", 1, e), P;
    SlLogs logs;
    if (sl_model_predict(m, &X, NSEQ, &P, e) < 0 ||
        sl_model_evaluate(m, &X, &Y, NULL, NSEQ, &logs, e) < 0)
        lesson_die(e);
    *lp = sl_logs_get(&logs, "loss");
    double sum = 0;
    int steps = 0;
    *diff = 0;
    for (int i = 0; i < NSEQ; i++) {
        SlTensor x1 = sl_tensor(sl_shape_of(3, (int[]){1, lens[i], F}), xs[i]), p1;
        SlTensor y1 = sl_tensor(sl_shape_of(3, (int[]){1, lens[i], C}), ys[i]);
        if (sl_model_predict(m, &x1, 1, &p1, e) < 0 ||
            sl_model_evaluate(m, &x1, &y1, NULL, 1, &logs, e) < 0)
            lesson_die(e);
        int off = strcmp(side, "pre") ? 0 : TMAX - lens[i];
        for (int j = 0; j < lens[i] * C; j++)
            *diff = fmax(*diff, fabs((double)P.data[(i * TMAX + off) * C + j] - p1.data[j]));
        sum += sl_logs_get(&logs, "loss") * lens[i];
        steps += lens[i];
        sl_free(p1.data);
    }
    *lu = sum / steps;
    sl_free(P.data);
    sl_free(X.data);
    sl_free(Y.data);
}

static void step_mask(Lesson *ls, SlModel *plain, SlModel *masked, SlError *e)
{
    lesson_step(ls, "Does padding disturb the state? Without a mask, and with Masking");
    printf("  The padded batch, against each sequence run alone (unpadded), same weights:\n\n"
           "  %-6s %-18s %-22s %-14s %s\n",
           "pad", "model", "largest output diff", "loss padded", "loss unpadded");
    const char *sides[2] = {"pre", "post"};
    for (int s = 0; s < 2; s++)
        for (int k = 0; k < 2; k++) {
            double d, lp, lu;
            compare(k ? masked : plain, sides[s], &d, &lp, &lu, e);
            printf("  %-6s %-18s %-22.2e %-14.6f %.6f\n", sides[s],
                   k ? "Masking + LSTMs" : "LSTMs, no mask", d, lp, lu);
            if (k)
                lesson_expect(d < 1e-5 && fabs(lp - lu) < 1e-5,
                              "with a mask, padding changed something");
            else
                lesson_expect((s == 1 || d > 1e-3) && (ls->quick || fabs(lp - lu) > 1e-3),
                              "without a mask, padding should show");
        }
    printf("\n  No mask, pre-padding: the LSTM runs over 7 steps of zeros before sequence 2\n"
           "  starts, so h and c are not zero when its first real step comes: every output\n"
           "  moves. Post-padding leaves the real steps alone (they come first), but the\n"
           "  padded steps still count in the loss. With Masking(0.0), a step whose features\n"
           "  all equal 0.0 is skipped: the LSTM carries h and c over it, and the loss is the\n"
           "  mean over real steps only: both numbers equal the unpadded ones.\n"
           "  Embedding(..., mask_zero=True) does the same for integer codes padded with 0.\n");
    lesson_visualize(ls, masked, "mask", NULL);
}

/* Per-step binary crossentropy of the masked model's outputs, by hand (Keras clips p). */
static double step_loss(const sl_real *p, const sl_real *y)
{
    double l = 0;
    for (int u = 0; u < C; u++) {
        double q = fmin(fmax((double)p[u], 1e-7), 1 - 1e-7);
        l -= y[u] > 0 ? log(q) : log(1 - q);
    }
    return l / C;
}

static void step_weights(Lesson *ls, SlModel *plain, SlModel *masked, SlError *e)
{
    lesson_step(ls, "A sample weight of 0 is not a mask");
    SlTensor X = pad("post", "float32", 0, e), Y = pad("post", "float32", 1, e), P;
    static sl_real w[NSEQ * TMAX];
    SlLogs lm, lw;
    for (int i = 0; i < NSEQ; i++)
        for (int t = 0; t < TMAX; t++)
            w[i * TMAX + t] = (sl_real)(t < lens[i]); /* 1 on real steps, 0 on padding */
    SlTensor W = sl_tensor(sl_shape_of(2, (int[]){NSEQ, TMAX}), w);
    if (sl_model_predict(masked, &X, NSEQ, &P, e) < 0 ||
        sl_model_evaluate(masked, &X, &Y, NULL, NSEQ, &lm, e) < 0 ||
        sl_model_evaluate(plain, &X, &Y, &W, NSEQ, &lw, e) < 0)
        lesson_die(e);
    double S = 0;
    int real = 0;
    for (int i = 0; i < NSEQ; i++)
        for (int t = 0; t < lens[i]; t++, real++)
            S += step_loss(&P.data[(i * TMAX + t) * C], &Y.data[(i * TMAX + t) * C]);
    double mask_loss = sl_logs_get(&lm, "loss"), weight_loss = sl_logs_get(&lw, "loss");
    printf("  Post-padded, so the real steps' outputs are the same with or without a mask.\n"
           "  S = the sum of the per-step losses over the %d real steps = %.6f (by hand).\n\n"
           "  Masking:                     sum(l*m)/sum(m) = S/%d = %.6f   engine: %.6f\n"
           "  sample_weight 1 real, 0 pad: sum(l*w)/(B*T)  = S/%d = %.6f   engine: %.6f\n\n"
           "  The weights take the padded steps out of the sum, but Keras still divides by\n"
           "  all B*T = %d steps: the loss is %.0f%% of the masked one, and shrinks further\n"
           "  the more padding a batch holds. A mask divides by the real steps only.\n",
           real, S, real, S / real, mask_loss, NSEQ * TMAX, S / (NSEQ * TMAX), weight_loss,
           NSEQ * TMAX, 100.0 * real / (NSEQ * TMAX));
    lesson_expect(fabs(mask_loss - S / real) < 1e-5 && fabs(weight_loss - S / (NSEQ * TMAX)) < 1e-5,
                  "the losses do not follow CONTRACT.md's formulas");
    sl_free(P.data);
    sl_free(X.data);
    sl_free(Y.data);
}

int main(int argc, char **argv)
{
    Lesson ls;
    if (lesson_begin(&ls, argc, argv, "Lesson 13: padding and masking",
                     "My sequences have different lengths in one batch: does padding disturb the "
                     "LSTM, and what does a mask change?",
                     "pad_sequences and its int32 default truncating floats, padded outputs and "
                     "losses against unpadded ones without and with Masking, and why a zero "
                     "sample weight is not a mask",
                     2))
        return 0;
    SlError e;
    SlRng r = sl_rng(13);
    for (int i = 0; i < NSEQ; i++)
        make_sequence(&r, lens[i], xs[i], ys[i]);
    step_pad(&ls, &e);

    SlScript *ps, *ms;
    SlModel *plain = build("05_variable_length.py", plain_py, &ps, &e);
    SlModel *masked = build("06_masking.py", masked_py, &ms, &e);
    SlFitGeneratorOptions o = sl_fit_generator_defaults();
    o.epochs = 1;
    o.steps_per_epoch = ls.quick ? 4 : 200;
    o.verbose = 0;
    printf("\n  (Training the plain model for %d batches first: a fresh LSTM has zero biases,\n"
           "  and then zeros in front keep h at exactly 0, hiding the effect.)\n",
           o.steps_per_epoch);
    SlTensor wts[16];
    int n;
    if (sl_model_fit_generator(plain, next_batch, &r, &o, NULL, &e) < 0 ||
        (n = sl_model_get_weights(plain, wts, 16, &e)) < 0 ||
        sl_model_set_weights(masked, wts, n, &e) < 0)
        lesson_die(&e);
    step_mask(&ls, plain, masked, &e);
    step_weights(&ls, plain, masked, &e);
    lesson_step(&ls, "What to remember");
    printf("  - pad_sequences pads in front ('pre') by default, and casts to int32 unless\n"
           "    you pass dtype='float32'.\n"
           "  - Without a mask, padding is data: it moves the state and counts in the loss.\n"
           "  - Masking (or Embedding mask_zero=True) makes RNNs carry h and c over padded\n"
           "    steps and the loss average over real steps only.\n"
           "  - sample_weight 0 removes a step from the loss's sum, not from its divisor.\n");
    sl_script_free(ps);
    sl_script_free(ms);
    return 0;
}
