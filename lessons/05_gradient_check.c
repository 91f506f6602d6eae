/* Lesson 05: how the gradient checker catches a wrong backward pass.
 *
 * Every layer's backward is derived by hand, so every layer is checked numerically: nudge one input
 * or weight by +h and -h, run forward, and compare the slope of f = sum(output * R) with the
 * gradient backward computed. This lesson does one coordinate by hand, runs the checker on Dense,
 * and then on a layer written right here, Square (y = x^2), twice: once right, and once with the
 * classic slip of a forgotten factor 2 in its derivative. Edit square_backward below to try your
 * own mistakes.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "lesson.h"

/* ---- a layer written in the lesson: Square, y = x^2, dx = 2 x dy ---- */

static int square_create(SlLayer *l, const SlBound *b, SlError *e)
{
    (void)l, (void)b, (void)e;
    return 0;
}

static int square_infer(SlLayer *l, SlInfer *io, SlError *e)
{
    if (sl_layer_expect_inputs(l, io, 1, e) < 0)
        return -1;
    io->out[0] = io->in[0];
    sl_infer_pass_mask(io);
    return 0;
}

static void square_forward(SlLayer *l, SlPass *p)
{
    (void)l;
    for (size_t i = 0; i < sl_tensor_count(&p->x[0]); i++)
        p->y[0].data[i] = p->x[0].data[i] * p->x[0].data[i];
}

static void square_backward(SlLayer *l, SlPass *p)
{
    (void)l;
    for (size_t i = 0; i < sl_tensor_count(&p->x[0]); i++)
        p->dx[0].data[i] += 2 * p->x[0].data[i] * p->dy[0].data[i]; /* d(x^2)/dx = 2x */
}

/* The slip: the derivative of x^2 written as x. */
static void square_backward_broken(SlLayer *l, SlPass *p)
{
    (void)l;
    for (size_t i = 0; i < sl_tensor_count(&p->x[0]); i++)
        p->dx[0].data[i] += p->x[0].data[i] * p->dy[0].data[i]; /* forgot the 2 */
}

static void square_explain(const SlLayer *l, const SlInfer *io, char *buf, size_t n)
{
    (void)l, (void)io;
    snprintf(buf, n, "Square squares each number: the shape stays");
}

static SlLayerType square_type = {
    .name = "Square",
    .aliases = "",
    .snake = "square",
    .summary = "y = x^2 (a lesson's own layer)",
    .args = NULL,
    .n_args = 0,
    .example_args = "",
    .example_input = "(4, 5)",
    .kind = 0,
    .steps = SL_STEPS_EACH, /* each number alone, so each step alone */
    .create = square_create,
    .infer = square_infer,
    .params = sl_layer_no_params,
    .scratch = sl_layer_no_scratch,
    .forward = square_forward,
    .backward = square_backward,
    .reset = sl_layer_reset_nothing,
    .explain = square_explain,
    .formula = sl_layer_formula_none,
    .note = sl_layer_no_note,
    .window = sl_layer_no_window,
    .codes = sl_layer_reals,
    .scenes = sl_layer_no_scenes,
    .destroy = sl_layer_destroy_cfg,
};

/* ---- the lesson ---- */

static SlModel *model_of(SlLayer *l, const char *input, SlError *e)
{
    sl_clear_session();
    SlModel *m = sl_sequential(NULL);
    if (!m || sl_model_add(m, sl_layer("InputLayer", input, e), e) < 0 ||
        sl_model_add(m, l, e) < 0 || sl_model_init_params(m, 3, e) < 0) {
        sl_model_free(m);
        return NULL;
    }
    return m;
}

static int check(SlModel *m, const char *title, SlError *e)
{
    sl_real x[4 * 5];
    SlTensor in = sl_tensor(sl_shape_of(2, (int[]){4, 5}), x);
    SlRng r = sl_rng(8);
    sl_gradcheck_fill_input(&in, &r);
    SlGradcheckOptions o = sl_gradcheck_defaults(); /* tolerance 1e-6 in double, 3e-2 in float */
    SlGradcheckReport rep;
    char table[4096];
    if (sl_gradcheck(m, &in, &o, &rep, e) < 0)
        lesson_die(e);
    sl_gradcheck_format(&rep, table, sizeof table);
    printf("  %s (tolerance %g):\n\n%s\n", title, o.tol, table);
    return rep.ok;
}

static void by_hand(Lesson *ls, SlError *e)
{
    lesson_step(ls, "One coordinate by hand");
    SlModel *m = model_of(sl_layer_of_type(&square_type, &(SlArgs){0}, e), "shape=(3,)", e);
    if (!m)
        lesson_die(e);
    sl_real x[3] = {0.5, -1.2, 2}, R[3] = {0.3, -0.7, 0.2};
    SlTensor in = sl_tensor(sl_shape_of(2, (int[]){1, 3}), x), dR = sl_tensor(in.shape, R);
    double f[3], h = 1e-3;
    for (int k = -1; k <= 1; k++) { /* f at x[1] - h, x[1], x[1] + h */
        sl_real keep = x[1];
        x[1] = (sl_real)(keep + k * h);
        if (sl_model_forward(m, &in, 0, e) < 0)
            lesson_die(e);
        SlTensor y = sl_model_output(m, 0);
        f[k + 1] = 0;
        for (int i = 0; i < 3; i++)
            f[k + 1] += (double)y.data[i] * R[i];
        x[1] = keep;
    }
    if (sl_model_forward(m, &in, 0, e) < 0 || sl_model_backward(m, &dR, 0, e) < 0)
        lesson_die(e);
    double analytic = sl_model_input_grad(m, 0).data[1];
    printf("  x = [0.5, -1.2, 2], y = x^2, and f = sum(y * R) with R = [0.3, -0.7, 0.2].\n"
           "  Nudge x[1] by h = 0.001 both ways:\n"
           "    f(x[1] - h) = %.9f\n    f(x[1] + h) = %.9f\n"
           "    slope = (f(+h) - f(-h)) / 2h = %.6f\n"
           "  backward says df/dx[1] = 2 * x[1] * R[1] = 2 * -1.2 * -0.7 = %.6f\n",
           f[0], f[2], (f[2] - f[0]) / (2 * h), analytic);
    printf("\n  The checker does this for every weight and every input (all of them for small\n"
           "  tensors, 40 chosen at random for big ones), with a second, smaller nudge to cancel\n"
           "  most of the slope's own error, and reports |a - n| / (|a| + |n|).\n");
    sl_model_free(m);
}

int main(int argc, char **argv)
{
    Lesson ls;
    if (lesson_begin(&ls, argc, argv, "Lesson 05: the gradient check",
                     "How do I know a hand-written backward pass is right?",
                     "a slope measured by hand, the checker's table for Dense, and a broken "
                     "layer caught",
                     2))
        return 0;
    SlError e;
    by_hand(&ls, &e);

    lesson_step(&ls, "The checker on Dense(3, activation='tanh')");
    SlModel *m = model_of(sl_layer("Dense", "3, activation='tanh'", &e), "shape=(5,)", &e);
    if (!m)
        lesson_die(&e);
    int dense_ok = check(m, "Dense", &e);
    lesson_visualize(&ls, m, "gradcheck", NULL);
    sl_model_free(m);
#ifndef SL_DOUBLE
    printf("  This build computes in float32, about 7 significant digits; a slope measured with\n"
           "  h = 0.001 keeps only 3 or 4 of them, so errors of 1e-4 to 1e-3 are all float32\n"
           "  can show (the tolerance is 3e-2 here, enough to catch real mistakes).\n"
           "  The tests run the checker in float64 (build/f64/lessons/05_gradient_check), where\n"
           "  the same table shows errors below 1e-6.\n");
#endif

    lesson_step(&ls, "A layer of our own: Square, y = x^2");
    m = model_of(sl_layer_of_type(&square_type, &(SlArgs){0}, &e), "shape=(5,)", &e);
    if (!m)
        lesson_die(&e);
    int square_ok = check(m, "Square, backward dx = 2 x dy", &e);
    sl_model_free(m);

    lesson_step(&ls, "The same layer with a forgotten factor 2");
    square_type.backward = square_backward_broken;
    m = model_of(sl_layer_of_type(&square_type, &(SlArgs){0}, &e), "shape=(5,)", &e);
    if (!m)
        lesson_die(&e);
    int broken_ok = check(m, "Square, backward dx = x dy (wrong)", &e);
    sl_model_free(m);
    printf("  The numerical slope is 2x dy, the analytic one x dy: the relative error is\n"
           "  |x - 2x| / (|x| + |2x|) = 1/3 everywhere, far above the tolerance. FAIL.\n");
    if (!dense_ok || !square_ok || broken_ok) {
        fprintf(stderr, "\nlesson: the checker did not judge the layers as it should\n");
        return 1;
    }

    lesson_step(&ls, "What to remember");
    printf("  - A gradient check compares backward with slopes measured by nudging forward.\n"
           "  - Run it in double precision; float32 cannot resolve 1e-6.\n"
           "  - A wrong derivative shows as a large error on the tensor it feeds (here the\n"
           "    input); every layer in shapelab passes this check in its tests.\n");
    return 0;
}
