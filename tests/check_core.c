/* check_core.c: shapes, Keras arguments, the RNG, initializers, JSON and safetensors. */
#include <glob.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

START_TEST(test_shape_str)
{
    char b[64];
    int d[3] = {SL_NONE, 100, 32};
    SlShape s = sl_shape_of(3, d);
    ck_assert_str_eq(sl_shape_str(&s, b, sizeof b), "(None, 100, 32)");
    s = sl_shape_of(1, (int[]){4});
    ck_assert_str_eq(sl_shape_str(&s, b, sizeof b), "(4,)");
    s = sl_shape_of(0, NULL);
    ck_assert_str_eq(sl_shape_str(&s, b, sizeof b), "()");
    s = sl_shape_of(3, d);
    ck_assert_uint_eq(sl_shape_count(&s), 0); /* unknown */
    ck_assert_uint_eq(sl_shape_sample_count(&s), 3200);
    SlShape c = sl_shape_of(3, (int[]){7, 100, 32});
    ck_assert(sl_shape_matches(&s, &c));
    c.dim[2] = 31;
    ck_assert(!sl_shape_matches(&s, &c));
}
END_TEST

START_TEST(test_args_parse)
{
    SlArgs a;
    SlError e;
    char r[128];
    sl_args_init(&a);
    ck_assert(sl_args_parse(&a,
                            "32, return_sequences=True, input_shape=(None, 5), "
                            "dropout=0.25, name=\"enc\", dims=[2, 1], x=(3), y=(3,), z=-2",
                            &e) == 0);
    ck_assert_int_eq(a.n, 9);
    ck_assert_ptr_null(sl_args_key(&a, 0));
    ck_assert(a.val[0].kind == SL_V_INT && a.val[0].i == 32);
    ck_assert_str_eq(sl_args_key(&a, 1), "return_sequences");
    ck_assert(a.val[1].kind == SL_V_BOOL && a.val[1].i == 1);
    sl_value_repr(&a, &a.val[2], r, sizeof r);
    ck_assert_str_eq(r, "(None, 5)");
    ck_assert(a.val[3].kind == SL_V_FLOAT && a.val[3].f == 0.25);
    ck_assert_str_eq(sl_value_strv(&a, &a.val[4]), "enc");
    sl_value_repr(&a, &a.val[5], r, sizeof r);
    ck_assert_str_eq(r, "[2, 1]");
    ck_assert(a.val[6].kind == SL_V_INT); /* (3) is 3 */
    sl_value_repr(&a, &a.val[7], r, sizeof r);
    ck_assert_str_eq(r, "(3,)");
    ck_assert(a.val[8].kind == SL_V_INT && a.val[8].i == -2);
}
END_TEST

/* Objects: initializers, regularizers, constraints written as calls. */
START_TEST(test_args_objects)
{
    SlArgs a, b;
    SlError e;
    char r[160];
    sl_args_init(&a);
    ck_assert_msg(sl_args_parse(&a,
                                "k=keras.initializers.RandomNormal(stddev=0.02, seed=1), "
                                "r=l1_l2(0.01, l2=0.1), c=max_norm(3), i=HeNormal(), "
                                "n=Outer(Inner(2), key=(1, 2))",
                                &e) == 0,
                  "%s", e.msg);
    ck_assert_int_eq(a.n, 5);
    const SlValue *k = &a.val[0];
    ck_assert(k->kind == SL_V_OBJECT);
    ck_assert_str_eq(sl_value_name(&a, k), "RandomNormal");
    ck_assert(sl_value_arg(&a, k, "stddev", 0)->f == 0.02);
    ck_assert_int_eq(sl_value_arg(&a, k, "seed", -1)->i, 1);
    ck_assert_ptr_null(sl_value_arg(&a, k, "mean", 1));
    const SlValue *reg = &a.val[1];
    ck_assert(sl_value_arg(&a, reg, "l1", 0)->f == 0.01); /* by position */
    ck_assert(sl_value_arg(&a, reg, "l2", 1)->f == 0.1);  /* by keyword */
    sl_value_repr(&a, &a.val[0], r, sizeof r);
    ck_assert_str_eq(r, "RandomNormal(stddev=0.02, seed=1)");
    sl_value_repr(&a, &a.val[3], r, sizeof r);
    ck_assert_str_eq(r, "HeNormal()");
    sl_value_repr(&a, &a.val[4], r, sizeof r);
    ck_assert_str_eq(r, "Outer(Inner(2), key=(1, 2))");
    /* binding copies objects whole */
    static const SlArgSpec spec[] = {
        {"k", SL_ARG_OBJECT, "'zeros'", ""}, {"r", SL_ARG_OBJECT | SL_ARG_OR_NONE, "None", ""},
        {"c", SL_ARG_OBJECT, "'none'", ""},  {"i", SL_ARG_OBJECT, "'ones'", ""},
        {"n", SL_ARG_ANY, "None", ""},       {"s", SL_ARG_OBJECT, "'glorot_uniform'", ""}};
    SlBound bd;
    ck_assert_msg(sl_args_bind(&bd, spec, 6, &a, "Test", &e) == 0, "%s", e.msg);
    sl_value_repr(&bd.store, sl_bound(&bd, "n"), r, sizeof r);
    ck_assert_str_eq(r, "Outer(Inner(2), key=(1, 2))");
    ck_assert_str_eq(sl_value_name(&bd.store, sl_bound(&bd, "s")), "glorot_uniform");
    ck_assert_str_eq(sl_value_name(&bd.store, sl_bound(&bd, "c")), "max_norm");
    sl_args_init(&b);
    ck_assert(sl_args_parse(&b, "k=3", &e) == 0);
    ck_assert(sl_args_bind(&bd, spec, 6, &b, "Test", &e) < 0);
    ck_assert_msg(strstr(e.msg, "a name like 'glorot_uniform' or an object"), "%s", e.msg);
}
END_TEST

static const struct {
    const char *src, *must;
} bad_args[] = {
    {"units=", "expected a value"},
    {"(1, 2", "expected ',' or ')'"},
    {"'relu", "string not closed"},
    {"units=3 4", "expected ',' between arguments"},
    {"x=3, 4", "positional argument follows keyword argument"},
    {"activation=relu", "only literal values"},
    {"k=RandomNormal(stddev=1, 2)", "positional argument follows keyword argument"},
    {"k=RandomNormal(1 2)", "expected ',' or ')'"},
    {"((((((((((1))))))))))", "nested too deeply"},
    {"16*7", "not arithmetic"},
};

START_TEST(test_args_parse_errors)
{
    SlArgs a;
    SlError e = {""};
    sl_args_init(&a);
    ck_assert(sl_args_parse(&a, bad_args[_i].src, &e) < 0);
    ck_assert_msg(strstr(e.msg, bad_args[_i].must), "'%s': %s", bad_args[_i].src, e.msg);
    ck_assert_msg(strstr(e.msg, "column"), "%s", e.msg);
}
END_TEST

START_TEST(test_args_bind)
{
    static const SlArgSpec spec[] = {
        {"units", SL_ARG_INT, NULL, "size"},
        {"activation", SL_ARG_STR | SL_ARG_OR_NONE, "None", ""},
        {"kernel_size", SL_ARG_INTS, "3", ""},
        {"rate", SL_ARG_FLOAT, "0.5", ""},
    };
    SlArgs a;
    SlBound b;
    SlError e;
    int ks[4];
    sl_args_init(&a);
    ck_assert(sl_args_parse(&a, "8, kernel_size=(5, 5), rate=1", &e) == 0);
    ck_assert(sl_args_bind(&b, spec, 4, &a, "Test", &e) == 0);
    ck_assert_int_eq(sl_bound_int(&b, "units"), 8);
    ck_assert(sl_bound_is_none(&b, "activation") && !sl_bound_given(&b, "activation"));
    ck_assert_int_eq(sl_bound_ints(&b, "kernel_size", ks, 4), 2);
    ck_assert(ks[0] == 5 && ks[1] == 5);
    ck_assert(sl_bound_float(&b, "rate") == 1.0); /* an int where a number is wanted */
    sl_args_init(&a);
    ck_assert(sl_args_parse(&a, "8, 'relu', 3, 0.1, 9", &e) == 0);
    ck_assert(sl_args_bind(&b, spec, 4, &a, "Test", &e) < 0);
    ck_assert_msg(strstr(e.msg, "at most 4 positional"), "%s", e.msg);
    sl_args_init(&a);
    ck_assert(sl_args_parse(&a, "8, units=9", &e) == 0);
    ck_assert(sl_args_bind(&b, spec, 4, &a, "Test", &e) < 0);
    ck_assert_msg(strstr(e.msg, "multiple values for argument 'units'"), "%s", e.msg);
    sl_args_init(&a);
    ck_assert(sl_args_parse(&a, "8, kernel_size=(3, None)", &e) == 0);
    ck_assert(sl_args_bind(&b, spec, 4, &a, "Test", &e) < 0);
    ck_assert_msg(strstr(e.msg, "'kernel_size' must be an integer or a tuple of integers, got "
                                "(3, None)"),
                  "%s", e.msg);
}
END_TEST

START_TEST(test_rng)
{
    /* splitmix64's published first output for seed 0 (tools/make_fixtures.py reimplements the
     * generator; the Dropout fixtures match only if both agree). */
    SlRng r = sl_rng(0);
    ck_assert(sl_rng_next(&r) == 0xe220a8397b1dcdafull);
    r = sl_rng(99);
    double sum = 0, sq = 0;
    for (int i = 0; i < 20000; i++) {
        double u = sl_rng_uniform(&r);
        ck_assert(u >= 0 && u < 1);
        double z = sl_rng_normal(&r);
        sum += z;
        sq += z * z;
    }
    ck_assert_double_lt(fabs(sum / 20000), 0.03);
    ck_assert_double_lt(fabs(sq / 20000 - 1), 0.05);
}
END_TEST

START_TEST(test_init_orthogonal_and_fans)
{
    /* An LSTM-like recurrent kernel (units, 4 * units): its rows are orthonormal. */
    int d[2] = {3, 12};
    SlShape s = sl_shape_of(2, d);
    sl_real w[36];
    SlRng r = sl_rng(1);
    SlInit orth;
    ck_assert(sl_init_named(&orth, "orthogonal") == 0);
    ck_assert(sl_init_fill(&orth, w, &s, &r) == 0);
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            double dot = 0;
            for (int k = 0; k < 12; k++)
                dot += w[i * 12 + k] * w[j * 12 + k];
            ck_assert_double_eq_tol(dot, i == j ? 1.0 : 0.0, 1e-5);
        }
    double fi, fo;
    SlShape conv = sl_shape_of(3, (int[]){5, 3, 16}); /* Conv1D kernel (k, in, filters) */
    sl_init_fans(&conv, &fi, &fo);
    ck_assert(fi == 15 && fo == 80);
    SlInit nonsense;
    ck_assert(sl_init_named(&nonsense, "nonsense") < 0);
}
END_TEST

/* An initializer as a Keras user writes it: "RandomNormal(stddev=0.02)", "'he_normal'". */
static int init_of(SlInit *out, const char *text, SlError *e)
{
    static const SlArgSpec spec[] = {{"kernel_initializer", SL_ARG_OBJECT, NULL, "initializer"}};
    SlArgs a;
    SlBound b;
    sl_args_init(&a);
    if (sl_args_parse(&a, text, e) < 0 || sl_args_bind(&b, spec, 1, &a, "test", e) < 0)
        return -1;
    return sl_init_read(out, &b, "kernel_initializer", e);
}

/* n values of `text` on a weight of shape s, drawn from seed 1, with their mean and spread. */
static sl_real *init_draw(const char *text, SlShape s, double *mean, double *std)
{
    SlInit init;
    SlError e;
    ck_assert_msg(init_of(&init, text, &e) == 0, "%s: %s", text, e.msg);
    size_t n = sl_shape_count(&s);
    sl_real *w = malloc(n * sizeof *w);
    SlRng r = sl_rng(1);
    ck_assert(w && sl_init_fill(&init, w, &s, &r) == 0);
    double sum = 0, sq = 0;
    for (size_t i = 0; i < n; i++)
        sum += w[i], sq += (double)w[i] * w[i];
    *mean = sum / (double)n;
    *std = sqrt(sq / (double)n - *mean * *mean);
    return w;
}

/* Keras 3's initializers by every name it knows them by, and as objects with their arguments:
 * the numbers follow the formulas (init.c), a seed gives the same numbers, errors name the fix. */
START_TEST(test_initializers)
{
    static const char *const names[] = {"GlorotUniform",
                                        "glorot_uniform",
                                        "GlorotNormal",
                                        "HeNormal",
                                        "he_uniform",
                                        "HeUniform",
                                        "LecunNormal",
                                        "lecun_uniform",
                                        "Zeros",
                                        "zeros",
                                        "zero",
                                        "Ones",
                                        "one",
                                        "Constant",
                                        "constant",
                                        "RandomNormal",
                                        "random_normal",
                                        "normal",
                                        "RandomUniform",
                                        "uniform",
                                        "TruncatedNormal",
                                        "truncated_normal",
                                        "VarianceScaling",
                                        "variance_scaling",
                                        "Orthogonal",
                                        "OrthogonalInitializer",
                                        "identity",
                                        "IdentityInitializer"};
    SlInit init, other;
    SlError e;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        ck_assert_msg(sl_init_named(&init, names[i]) == 0, "%s", names[i]);
    SlShape big = sl_shape_of(2, (int[]){100, 200});
    double mean, std;
    sl_real *w = init_draw("Constant(0.5)", sl_shape_of(1, (int[]){7}), &mean, &std);
    ck_assert(mean == 0.5 && std == 0);
    free(w);
    w = init_draw("RandomNormal(mean=1.0, stddev=0.5)", big, &mean, &std);
    ck_assert_double_eq_tol(mean, 1.0, 0.02);
    ck_assert_double_eq_tol(std, 0.5, 0.01);
    free(w);
    w = init_draw("RandomUniform(-2, 3)", big, &mean, &std);
    for (int i = 0; i < 20000; i++)
        ck_assert(w[i] >= -2 && w[i] < 3);
    ck_assert_double_eq_tol(mean, 0.5, 0.05);
    free(w);
    w = init_draw("TruncatedNormal(mean=0.5, stddev=0.1)", big, &mean, &std);
    for (int i = 0; i < 20000; i++) /* redrawn beyond two standard deviations */
        ck_assert(w[i] >= 0.3 && w[i] <= 0.7);
    free(w);
    /* VarianceScaling: scale 2 over fan_out 200, uniform: limit sqrt(3 * 2 / 200) */
    w = init_draw("VarianceScaling(scale=2.0, mode='fan_out', distribution='uniform')", big, &mean,
                  &std);
    double lim = sqrt(6.0 / 200), top = 0;
    for (int i = 0; i < 20000; i++)
        top = fmax(top, fabs(w[i]));
    ck_assert(top <= lim && top > 0.99 * lim);
    free(w);
    w = init_draw("VarianceScaling(distribution='untruncated_normal')", big, &mean, &std);
    ck_assert_double_eq_tol(std, sqrt(1.0 / 100), 0.002);
    free(w);
    /* a class and its name are the same formula: the same numbers from the same generator */
    sl_real *a = init_draw("HeNormal()", big, &mean, &std),
            *b = init_draw("'he_normal'", big, &mean, &std);
    ck_assert(memcmp(a, b, 20000 * sizeof *a) == 0);
    ck_assert_double_eq_tol(std, sqrt(2.0 / 100), 0.002); /* truncation already compensated */
    free(a), free(b);
    /* Identity(gain) and Orthogonal(gain) */
    w = init_draw("Identity(gain=2.0)", sl_shape_of(2, (int[]){3, 4}), &mean, &std);
    for (int i = 0; i < 12; i++)
        ck_assert(w[i] == (i / 4 == i % 4 ? 2 : 0));
    free(w);
    w = init_draw("Orthogonal(gain=3.0, seed=2)", sl_shape_of(2, (int[]){3, 5}), &mean, &std);
    for (int i = 0; i < 3; i++) /* rows orthogonal, each of length 3 */
        for (int j = 0; j < 3; j++) {
            double dot = 0;
            for (int k = 0; k < 5; k++)
                dot += w[i * 5 + k] * w[j * 5 + k];
            ck_assert_double_eq_tol(dot, i == j ? 9 : 0, 1e-4);
        }
    free(w);
    /* seeds: read, and kept apart from the arguments' defaults */
    ck_assert(init_of(&init, "GlorotUniform(seed=7)", &e) == 0 && init.has_seed && init.seed == 7);
    ck_assert(init_of(&other, "'glorot_uniform'", &e) == 0 && !other.has_seed);
    ck_assert_str_eq(init.text, "GlorotUniform(seed=7)");
}
END_TEST

/* A seeded initializer gives the same weights whatever the model's seed, and in two layers of one
 * model of the same shape the same ones (Keras's warning: a fixed seed repeats itself). */
START_TEST(test_initializer_seeds)
{
    SlError e;
    SlModel *m[2];
    for (int k = 0; k < 2; k++) {
        sl_clear_session();
        m[k] = sl_sequential(NULL);
        ck_assert(sl_model_add(m[k], sl_layer("InputLayer", "shape=(4,)", &e), &e) == 0);
        ck_assert(sl_model_add(m[k],
                               sl_layer("Dense", "4, kernel_initializer=HeUniform(seed=11)", &e),
                               &e) == 0);
        ck_assert(sl_model_add(m[k],
                               sl_layer("Dense",
                                        "4, kernel_initializer=HeUniform(seed=11), "
                                        "bias_initializer='he_uniform'",
                                        &e),
                               &e) == 0);
        ck_assert(sl_model_init_params(m[k], 100 + (uint64_t)k, &e) == 0);
    }
    const sl_real *k0 = m[0]->params[0]->value.data, *k1 = m[1]->params[0]->value.data;
    ck_assert(memcmp(k0, k1, 16 * sizeof *k0) == 0);                           /* seed 100, 101 */
    ck_assert(memcmp(k0, m[0]->params[2]->value.data, 16 * sizeof *k0) == 0);  /* two layers */
    ck_assert(memcmp(m[0]->params[3]->value.data, m[1]->params[3]->value.data, /* unseeded */
                     4 * sizeof *k0) != 0);
    sl_model_free(m[0]);
    sl_model_free(m[1]);
}
END_TEST

/* Keras's LSTM bias with unit_forget_bias: the initializer for i, c, o and ones for f. */
START_TEST(test_unit_forget_bias)
{
    SlError e;
    SlModel *m = sl_sequential(NULL);
    ck_assert(sl_model_add(m, sl_layer("InputLayer", "shape=(5, 2)", &e), &e) == 0);
    ck_assert(sl_model_add(m, sl_layer("LSTM", "3, bias_initializer=Constant(0.5)", &e), &e) == 0);
    ck_assert(sl_model_init_params(m, 1, &e) == 0);
    const sl_real *b = m->params[2]->value.data;
    for (int j = 0; j < 12; j++)
        ck_assert(b[j] == (j >= 3 && j < 6 ? 1 : 0.5));
    sl_model_free(m);
}
END_TEST

static const struct {
    const char *type, *args, *must;
} bad_inits[] = {
    {"Dense", "3, kernel_initializer=STFT()", "the STFT initializer is not supported yet"},
    {"Dense", "3, kernel_initializer=VarianceScaling(mode='fan')", "Invalid `mode` argument: fan"},
    {"Dense", "3, kernel_initializer=VarianceScaling(scale=0)", "must be positive float"},
    {"Dense", "3, kernel_initializer=VarianceScaling(distribution='cauchy')",
     "Invalid `distribution` argument: cauchy"},
    {"Dense", "3, kernel_initializer=RandomNormal(stddev=-1.0)", "needs stddev >= 0, got -1"},
    {"Dense", "3, kernel_initializer=RandomUniform(1.0, -1.0)", "needs minval <= maxval"},
    {"Dense", "3, kernel_initializer=GlorotUniform(input_axes=[0])",
     "GlorotUniform(input_axes=...) is not supported yet"},
    {"Dense", "3, kernel_initializer=HeNormal(sed=1)",
     "kernel_initializer: HeNormal got an unknown keyword argument 'sed'"},
    {"Dense", "3, kernel_initializer=Glorot()", "unknown initializer 'Glorot'"},
    {"Dense", "3, bias_initializer=4", "must be a name like 'glorot_uniform' or an object"},
};

START_TEST(test_initializer_errors)
{
    SlError e = {""};
    ck_assert_msg(sl_layer(bad_inits[_i].type, bad_inits[_i].args, &e) == NULL, "%s accepted",
                  bad_inits[_i].args);
    ck_assert_msg(strstr(e.msg, bad_inits[_i].must), "message lacks \"%s\": %s", bad_inits[_i].must,
                  e.msg);
}
END_TEST

/* Initializers that need a weight of a certain rank say so when the weight is made. */
START_TEST(test_initializer_rank_errors)
{
    SlError e;
    SlModel *m = sl_sequential(NULL);
    ck_assert(sl_model_add(m, sl_layer("InputLayer", "shape=(4,)", &e), &e) == 0);
    ck_assert(sl_model_add(m, sl_layer("Dense", "3, bias_initializer='orthogonal'", &e), &e) < 0);
    ck_assert_msg(strstr(e.msg, "weight 'bias'") && strstr(e.msg, "at least two axes") &&
                      strstr(e.msg, "'zeros' for biases"),
                  "%s", e.msg);
    sl_model_free(m);
    m = sl_sequential(NULL);
    ck_assert(sl_model_add(m, sl_layer("InputLayer", "shape=(5, 2)", &e), &e) == 0);
    ck_assert(sl_model_add(m, sl_layer("Conv1D", "3, 2, kernel_initializer='identity'", &e), &e) <
              0);
    ck_assert_msg(strstr(e.msg, "2-D matrices only") && strstr(e.msg, "(2, 2, 3)"), "%s", e.msg);
    sl_model_free(m);
}
END_TEST

START_TEST(test_json)
{
    SlJsonDoc d;
    SlError e;
    const char *t = "{\"a\": [1, 2.5e1, -3], \"b\": {\"c\": \"x\\u00e9\\n\"}, \"d\": null, "
                    "\"e\": true}";
    ck_assert(sl_json_parse(&d, t, strlen(t), &e) == 0);
    const SlJsonNode *a = sl_json_get(&d, &d.nodes[0], "a");
    ck_assert(a && a->kind == SL_JSON_ARRAY && a->count == 3);
    ck_assert(sl_json_child(&d, a, 1)->num == 25);
    const SlJsonNode *c = sl_json_get(&d, sl_json_get(&d, &d.nodes[0], "b"), "c");
    ck_assert_str_eq(c->str, "x\xc3\xa9\n");
    sl_json_free(&d);
    const char *bad[] = {"{\"a\": 1,}", "[1, 2", "{\"a\" 1}",    "01x",
                         "\"abc",       "[1] x", "{\"a\": tru}", "\"\\ud800\""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(sl_json_parse(&d, bad[i], strlen(bad[i]), &e) < 0, "accepted %s", bad[i]);
    char deep[300];
    memset(deep, '[', sizeof deep);
    ck_assert(sl_json_parse(&d, deep, sizeof deep, &e) < 0);
    ck_assert_msg(strstr(e.msg, "nested too deeply"), "%s", e.msg);
}
END_TEST

#define tmp_path tu_tmp_path

START_TEST(test_safetensors_round_trip)
{
    sl_real k[6] = {1, -2, 3.5f, 4, 5, 6}, b[3] = {0.25f, 0, -1};
    SlTensor t[2] = {sl_tensor(sl_shape_of(2, (int[]){2, 3}), k),
                     sl_tensor(sl_shape_of(1, (int[]){3}), b)};
    const char *names[2] = {"dense/kernel", "dense/bias"};
    const char *mk[1] = {"format"}, *mv[1] = {"pt \"quoted\""};
    SlError e;
    const char *path = tmp_path("w.safetensors");
    ck_assert_msg(sl_st_write(path, 2, names, t, 1, mk, mv, &e) == 0, "%s", e.msg);
    char tmp[600];
    glob_t g;
    snprintf(tmp, sizeof tmp, "%s*.tmp", path);
    ck_assert_msg(glob(tmp, 0, NULL, &g) == GLOB_NOMATCH, "%s is left", g.gl_pathv[0]);
    SlSafetensors st;
    ck_assert_msg(sl_st_read(&st, path, &e) == 0, "%s", e.msg);
    ck_assert_int_eq(st.n, 2);
    ck_assert_str_eq(sl_st_meta(&st, "format"), "pt \"quoted\"");
    sl_real k2[6];
    SlShape s;
    ck_assert(sl_st_get(&st, "dense/kernel", k2, 6, &s, &e) == 0);
    ck_assert_mem_eq(k2, k, sizeof k);
    ck_assert(s.rank == 2 && s.dim[0] == 2 && s.dim[1] == 3);
    ck_assert(sl_st_get(&st, "dense/bias", k2, 6, NULL, &e) < 0);
    ck_assert_msg(strstr(e.msg, "has 3 values, expected 6"), "%s", e.msg);
    sl_st_free(&st);
    /* A failed save leaves nothing behind. */
    ck_assert(sl_st_write("/nonexistent-dir/w.safetensors", 2, names, t, 0, NULL, NULL, &e) < 0);
    ck_assert(access("/nonexistent-dir/w.safetensors.tmp", F_OK) != 0);
}
END_TEST

/* Malformed files: each is refused with a message naming the file and the problem. */
static const struct {
    const char *what, *header; /* header JSON; NULL: raw bytes below */
    size_t data_len;
    const char *must;
} bad_st[] = {
    {"header not JSON", "{\"a\": ", 0, "not valid JSON"},
    {"dtype", "{\"a\":{\"dtype\":\"BF16\",\"shape\":[1],\"data_offsets\":[0,2]}}", 2, "dtype BF16"},
    {"offsets past the end", "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 8,
     "outside the 8 bytes"},
    {"size mismatch", "{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8,
     "needs 12 bytes but data_offsets span 8"},
    {"overlap",
     "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
     "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}",
     12, "overlap"},
    {"missing keys", "{\"a\":{\"dtype\":\"F32\"}}", 0, "needs \"dtype\""},
    {"negative shape", "{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,0]}}", 0,
     "not a non-negative integer"},
    {"not an object", "[1, 2]", 0, "not a JSON object"},
    {"metadata not strings", "{\"__metadata__\":{\"a\":1}}", 0, "must be strings"},
    {"overlap behind an empty tensor",
     "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
     "\"e\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[4,4]},"
     "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}",
     12, "overlap"},
    {"a name twice",
     "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
     "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}",
     8, "appears twice"},
};

START_TEST(test_safetensors_malformed)
{
    const char *path = tmp_path("bad.safetensors");
    FILE *f = fopen(path, "wb");
    size_t hl = strlen(bad_st[_i].header);
    unsigned char len8[8] = {0};
    for (int i = 0; i < 8; i++)
        len8[i] = (unsigned char)(hl >> (8 * i));
    fwrite(len8, 1, 8, f);
    fwrite(bad_st[_i].header, 1, hl, f);
    for (size_t i = 0; i < bad_st[_i].data_len; i++)
        fputc(0, f);
    fclose(f);
    SlSafetensors st;
    SlError e = {""};
    ck_assert_msg(sl_st_read(&st, path, &e) < 0, "%s accepted", bad_st[_i].what);
    ck_assert_msg(strstr(e.msg, bad_st[_i].must), "%s: %s", bad_st[_i].what, e.msg);
    ck_assert_msg(strstr(e.msg, path), "%s: no file name in: %s", bad_st[_i].what, e.msg);
}
END_TEST

START_TEST(test_safetensors_truncated)
{
    SlSafetensors st;
    SlError e;
    const char *path = tmp_path("short.safetensors");
    FILE *f = fopen(path, "wb");
    fwrite("\x10\0\0", 1, 3, f);
    fclose(f);
    ck_assert(sl_st_read(&st, path, &e) < 0);
    ck_assert_msg(strstr(e.msg, "too short"), "%s", e.msg);
    f = fopen(path, "wb");
    fwrite("\xff\xff\0\0\0\0\0\0{}", 1, 10, f); /* header length far past the end */
    fclose(f);
    ck_assert(sl_st_read(&st, path, &e) < 0);
    ck_assert_msg(strstr(e.msg, "does not fit"), "%s", e.msg);
    ck_assert(sl_st_read(&st, "/nonexistent.safetensors", &e) < 0);
    ck_assert_msg(strstr(e.msg, "/nonexistent.safetensors: cannot open"), "%s", e.msg);
    ck_assert(sl_st_read(&st, "/tmp", &e) < 0); /* a directory */
    ck_assert_msg(strstr(e.msg, "/tmp: not a regular file (a directory)"), "%s", e.msg);
}
END_TEST

/* A file of n tensors t000000, t000001, ... of one F32 value each (the last one named as the
 * first when dup is set). */
static void write_many(const char *path, int n, int dup)
{
    size_t cap = 64 + (size_t)n * 80, u = 0;
    char *h = malloc(cap);
    ck_assert(h != NULL);
    u += (size_t)snprintf(h, cap, "{");
    for (int i = 0; i < n; i++)
        u += (size_t)snprintf(h + u, cap - u,
                              "%s\"t%06d\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":"
                              "[%d,%d]}",
                              i ? "," : "", dup && i == n - 1 ? 0 : i, 4 * i, 4 * i + 4);
    u += (size_t)snprintf(h + u, cap - u, "}");
    FILE *f = fopen(path, "wb");
    ck_assert(f != NULL);
    for (int i = 0; i < 8; i++)
        fputc((int)((uint64_t)u >> (8 * i) & 0xff), f);
    fwrite(h, 1, u, f);
    float v = 0.5f;
    for (int i = 0; i < n; i++)
        fwrite(&v, 4, 1, f);
    fclose(f);
    free(h);
}

/* 100,000 tensors (the limit): read, searched and checked for repeated names in well under the
 * TCase's 10 s (comparing every name with every other took 29 s). */
START_TEST(test_safetensors_many_tensors)
{
    const char *path = tmp_path("many.safetensors");
    SlSafetensors st;
    SlError e;
    write_many(path, 100000, 0);
    ck_assert_msg(sl_st_read(&st, path, &e) == 0, "%s", e.msg);
    ck_assert_int_eq(st.n, 100000);
    const SlStTensor *t = sl_st_find(&st, "t099999");
    ck_assert(t != NULL && t->begin == 4 * 99999);
    ck_assert(sl_st_find(&st, "t100000") == NULL && sl_st_find(&st, "t0") == NULL);
    sl_st_free(&st);
    write_many(path, 100000, 1);
    ck_assert(sl_st_read(&st, path, &e) < 0);
    ck_assert_msg(strstr(e.msg, "appears twice"), "%s", e.msg);
}
END_TEST

/* An allocator that keeps count of the bytes it has out, and of the most at any time. */
static size_t live_bytes, peak_bytes;

static void *tracking_alloc(void *ctx, size_t n)
{
    (void)ctx;
    size_t *p = malloc(n + 16); /* the size in front, 16 bytes keep the alignment */
    if (!p)
        return NULL;
    p[0] = n;
    live_bytes += n;
    peak_bytes = live_bytes > peak_bytes ? live_bytes : peak_bytes;
    return (char *)p + 16;
}

static void tracking_release(void *ctx, void *q)
{
    (void)ctx;
    if (!q)
        return;
    size_t *p = (size_t *)(void *)((char *)q - 16);
    live_bytes -= p[0];
    free(p);
}

/* A 20 MB header of ten million values, "[0,0,...]": refused at the values limit, with memory
 * that stays a small multiple of the file (the nodes for every byte of text took 48 times it). */
START_TEST(test_safetensors_huge_header)
{
    const char *path = tmp_path("huge.safetensors");
    size_t values = 10000000, hl = 2 * values + 1;
    char *h = malloc(hl);
    ck_assert(h != NULL);
    for (size_t i = 0; i < values; i++)
        h[2 * i] = i ? ',' : '[', h[2 * i + 1] = '0';
    h[hl - 1] = ']';
    FILE *f = fopen(path, "wb");
    ck_assert(f != NULL);
    for (int i = 0; i < 8; i++)
        fputc((int)((uint64_t)hl >> (8 * i) & 0xff), f);
    ck_assert(fwrite(h, 1, hl, f) == hl && fclose(f) == 0);
    free(h);
    SlAllocator tracking = {tracking_alloc, tracking_release, NULL};
    SlAllocator old = sl_set_allocator(&tracking);
    SlSafetensors st;
    SlError e;
    int rc = sl_st_read(&st, path, &e);
    sl_set_allocator(&old);
    ck_assert_msg(rc < 0 && strstr(e.msg, "not valid JSON") && strstr(e.msg, "values"), "%s",
                  e.msg);
    ck_assert_msg(peak_bytes < 10 * hl, "reading a %zu-byte header took %zu bytes at its peak", hl,
                  peak_bytes);
    ck_assert_int_eq(live_bytes, 0);
}
END_TEST

/* A growable array keeps its elements and zeroes its new room; when memory runs out or the size
 * overflows it gives NULL and the old block stays as it was. */
START_TEST(test_grow)
{
    size_t cap = 0;
    int *a = NULL;
    for (int i = 0; i < 100; i++) {
        int *b = sl_grow(a, &cap, (size_t)i + 1, sizeof *a);
        ck_assert_msg(b != NULL && cap >= (size_t)i + 1, "growing to %d", i + 1);
        a = b;
        a[i] = i * i;
    }
    ck_assert_uint_eq(cap, 128); /* 16, 32, 64, 128 */
    for (int i = 0; i < 100; i++)
        ck_assert_int_eq(a[i], i * i);
    ck_assert_int_eq(a[127], 0);
    ck_assert(sl_grow(a, &cap, 128, sizeof *a) == a); /* room enough: the same block */
    ck_assert(sl_grow(a, &cap, SIZE_MAX, sizeof *a) == NULL && cap == 128);
    SlAllocator old = sl_set_allocator(&tu_failing_allocator);
    int *b = sl_grow(a, &cap, 129, sizeof *a);
    sl_set_allocator(&old);
    ck_assert(b == NULL && cap == 128 && a[99] == 99 * 99);
    sl_free(a);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("core");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, test_shape_str);
    tcase_add_test(tc, test_args_parse);
    tcase_add_test(tc, test_args_objects);
    tcase_add_loop_test(tc, test_args_parse_errors, 0, sizeof bad_args / sizeof bad_args[0]);
    tcase_add_test(tc, test_args_bind);
    tcase_add_test(tc, test_rng);
    tcase_add_test(tc, test_init_orthogonal_and_fans);
    tcase_add_test(tc, test_initializers);
    tcase_add_test(tc, test_initializer_seeds);
    tcase_add_test(tc, test_unit_forget_bias);
    tcase_add_loop_test(tc, test_initializer_errors, 0, sizeof bad_inits / sizeof bad_inits[0]);
    tcase_add_test(tc, test_initializer_rank_errors);
    tcase_add_test(tc, test_json);
    tcase_add_test(tc, test_grow);
    suite_add_tcase(s, tc);
    tc = tcase_create("safetensors");
    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, test_safetensors_round_trip);
    tcase_add_loop_test(tc, test_safetensors_malformed, 0, sizeof bad_st / sizeof bad_st[0]);
    tcase_add_test(tc, test_safetensors_truncated);
    tcase_add_test(tc, test_safetensors_many_tensors);
    tcase_add_test(tc, test_safetensors_huge_header);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run_in_tmpdir(suite()) ? EXIT_FAILURE : EXIT_SUCCESS;
}
