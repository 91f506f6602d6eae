/* Lesson 17: Reshape vs Permute (QUESTIONS.md item 11).
 *
 * The question's model meant to run causal convolutions along time for each of 5 features, and
 * wrote Reshape((features, lookback, 1)) on a (lookback, features) input. Reshape keeps the memory
 * order: it regroups the same values, so each new "feature row" holds pieces of two time steps.
 * Permute((2, 1)) moves the values so each row is one feature through time. The lesson labels
 * every value with its meaning (feature, step), sends the same sample through both, prints them
 * side by side, and checks the corrected model's way back: Permute((2, 1, 3)), then Reshape to
 * (lookback, features * filters), keeps every row one time step.
 */
#include <stdio.h>
#include <stdlib.h>

#include "lesson.h"

enum { LOOKBACK = 10, FEATURES = 5, FILTERS = 3 };

/* One layer on a (1, ...) input with the engine; out gets the output. */
static void through(const char *type, const char *args, const sl_real *x, SlShape in, sl_real *out,
                    SlShape *out_shape, SlError *e)
{
    char shape[96];
    snprintf(shape, sizeof shape, "batch_shape=(1, %d, %d%s", in.dim[1], in.dim[2],
             in.rank == 4 ? "" : ")");
    if (in.rank == 4)
        snprintf(shape, sizeof shape, "batch_shape=(1, %d, %d, %d)", in.dim[1], in.dim[2],
                 in.dim[3]);
    sl_clear_session();
    SlModel *m = sl_sequential(NULL);
    if (!m || sl_model_add(m, sl_layer("InputLayer", shape, e), e) ||
        sl_model_add(m, sl_layer(type, args, e), e))
        lesson_die(e);
    SlTensor t = sl_tensor(in, (sl_real *)x);
    if (sl_model_forward(m, &t, 0, e) < 0)
        lesson_die(e);
    SlTensor y = sl_model_output(m, 0);
    for (size_t i = 0; i < sl_tensor_count(&y); i++)
        out[i] = y.data[i];
    *out_shape = y.shape;
    sl_model_free(m);
}

/* A value's label: feature f at step t is coded 10*f + t (f < 10, t < 10), printed "f1t3". */
static void label(sl_real v, char *buf)
{
    int c = (int)v;
    snprintf(buf, 8, "f%dt%d", c / 10, c % 10);
}

int main(int argc, char **argv)
{
    Lesson ls;
    if (lesson_begin(&ls, argc, argv, "Lesson 17: Reshape vs Permute",
                     "I reshaped (lookback, features) to (features, lookback, 1) to convolve each "
                     "feature along time. Why does the model learn nothing useful?",
                     "a sample with every value labelled by its feature and step, through Reshape "
                     "and through Permute side by side, and the corrected model's way back",
                     2))
        return 0;
    SlError e;
    sl_real x[LOOKBACK * FEATURES], r[LOOKBACK * FEATURES], p[LOOKBACK * FEATURES];
    for (int t = 0; t < LOOKBACK; t++)
        for (int f = 0; f < FEATURES; f++)
            x[t * FEATURES + f] = (sl_real)(10 * f + t);

    lesson_step(&ls, "One sample, (10 steps, 5 features), every value labelled");
    printf("  Memory holds it row by row, step after step (f = feature, t = step):\n");
    char b[8];
    for (int t = 0; t < LOOKBACK; t++) {
        printf("   ");
        for (int f = 0; f < FEATURES; f++)
            label(x[t * FEATURES + f], b), printf(" %s", b);
        printf("\n");
    }

    lesson_step(&ls, "The same sample through Reshape((5, 10, 1)) and through Permute((2, 1))");
    SlShape in = sl_shape_of(3, (int[]){1, LOOKBACK, FEATURES}), rs, ps;
    through("Reshape", "(5, 10, 1)", x, in, r, &rs, &e);
    through("Permute", "(2, 1)", x, in, p, &ps, &e);
    char s1[64], s2[64];
    printf("  %-52s %s\n", sl_shape_str(&rs, s1, sizeof s1), sl_shape_str(&ps, s2, sizeof s2));
    printf("  %-52s %s\n", "Reshape: rows should be features... they are not",
           "Permute: row f = feature f in time order");
    int scrambled = 0, kept = 1;
    for (int f = 0; f < FEATURES; f++) {
        char line[128] = "", *w = line;
        for (int t = 0; t < LOOKBACK; t++) {
            label(r[f * LOOKBACK + t], b);
            w += sprintf(w, "%s ", b);
            scrambled |= (int)r[f * LOOKBACK + t] / 10 != f;
            kept &= (int)p[f * LOOKBACK + t] == 10 * f + t;
        }
        printf("  %-52s", line);
        for (int t = 0; t < LOOKBACK; t++)
            label(p[f * LOOKBACK + t], b), printf("%s ", b);
        printf("\n");
    }
    printf("\n  Left: the first 'feature row' is f0t0 f1t0 ... f4t1: all five features of steps 0\n"
           "  and 1. A Conv1D along that row slides across features and steps at once, which\n"
           "  means nothing. Right: each row is one feature, t0 to t9: what the question meant.\n");
    if (!scrambled || !kept) {
        fprintf(stderr, "lesson: Reshape and Permute did not behave as described\n");
        return 1;
    }

    lesson_step(&ls, "The corrected model: Permute first, and Permute again on the way back");
    printf("  11_causal_cnn_fixed.py: Permute((2, 1)) -> Reshape((5, 10, 1)) -> the per-feature\n"
           "  causal convolutions (TimeDistributed, 32 filters: (None, 5, 10, 32)) ->\n"
           "  Permute((2, 1, 3)) -> Reshape((10, 160)). A stand-in for the convolutions' output,\n"
           "  value (feature f, step t, filter k) labelled 100*f + 10*t + k, goes the way back:\n");
    sl_real z[FEATURES * LOOKBACK * FILTERS], q[FEATURES * LOOKBACK * FILTERS],
        o[FEATURES * LOOKBACK * FILTERS];
    for (int f = 0; f < FEATURES; f++)
        for (int t = 0; t < LOOKBACK; t++)
            for (int k = 0; k < FILTERS; k++)
                z[(f * LOOKBACK + t) * FILTERS + k] = (sl_real)(100 * f + 10 * t + k);
    SlShape zs = sl_shape_of(4, (int[]){1, FEATURES, LOOKBACK, FILTERS}), qs, os;
    through("Permute", "(2, 1, 3)", z, zs, q, &qs, &e);
    char args[64];
    snprintf(args, sizeof args, "(%d, %d)", LOOKBACK, FEATURES * FILTERS);
    through("Reshape", args, q, qs, o, &os, &e);
    printf("  %s -> %s -> %s\n", sl_shape_str(&zs, s1, sizeof s1), sl_shape_str(&qs, s2, sizeof s2),
           sl_shape_str(&os, (char[64]){0}, 64));
    int rows_ok = 1;
    for (int t = 0; t < LOOKBACK; t++) {
        if (t < 3) {
            printf("    row %d:", t);
            for (int i = 0; i < FEATURES * FILTERS; i += FILTERS)
                printf(" %03d", (int)o[t * FEATURES * FILTERS + i]);
            printf(" ...\n");
        }
        for (int i = 0; i < FEATURES * FILTERS; i++)
            rows_ok &= (int)o[t * FEATURES * FILTERS + i] / 10 % 10 == t;
    }
    printf("  Every row t holds step t of every feature and filter (the middle digit is the\n"
           "  step): %s. Without the second Permute, Reshape((10, 160)) would again mix steps.\n",
           rows_ok ? "yes" : "NO");
    if (!rows_ok)
        return 1;
    /* the scene: the question's buggy start, Input (10, 5) -> Reshape((5, 10, 1)) */
    sl_clear_session();
    SlModel *m = sl_sequential(NULL);
    if (!m || sl_model_add(m, sl_layer("InputLayer", "shape=(10, 5)", &e), &e) ||
        sl_model_add(m, sl_layer("Reshape", "(5, 10, 1)", &e), &e))
        lesson_die(&e);
    lesson_visualize(&ls, m, "reshape-permute", NULL);
    sl_model_free(m);

    lesson_step(&ls, "What to remember");
    printf("  - Reshape keeps the order of the values in memory and only regroups them.\n"
           "  - Permute moves the values so every axis keeps its meaning.\n"
           "  - To swap time and features, Permute; then Reshape to add or merge axes.\n");
    return 0;
}
