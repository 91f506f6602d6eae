/* Lesson 02: what `units` means in Dense, on 2-D and on 3-D input.
 *
 * Dense(4) on samples of 3 features holds a kernel of shape (3, 4) and a bias of 4: each output is
 * one weighted sum of the 3 inputs, and there are 4 of them. On a sequence, (timesteps, 3), the same
 * kernel is applied at every timestep, so the parameter count does not change. The lesson shows
 * the numbers, checks the sequence case against the 2-D case by hand, and prints the parameter
 * formula for several sizes.
 */
#include <stdio.h>
#include <string.h>

#include "lesson.h"
#include "train.h"

static SlModel *one_dense(const char *dense_args, SlError *e)
{
    sl_clear_session();
    SlModel *m = sl_sequential(NULL);
    if (!m || sl_model_add(m, sl_layer("Dense", dense_args, e), e) < 0 ||
        sl_model_init_params(m, 7, e) < 0) {
        sl_model_free(m);
        return NULL;
    }
    return m;
}

static void show_kernel(const SlModel *m)
{
    const SlParam *k = m->params[0], *b = m->params[1];
    lesson_print_tensor("kernel W (in, units)", &k->value, 8);
    lesson_print_tensor("bias b (units,)", &b->value, 1);
}

static void step_2d(Lesson *ls, SlError *e)
{
    lesson_step(ls, "Dense(4) on samples of 3 features");
    SlModel *m = one_dense("4, input_shape=(3,)", e);
    if (!m)
        lesson_die(e);
    if (sl_model_summary(m, 0, stdout, e) < 0)
        lesson_die(e);
    /* biases start at zero (Keras's default); give them values so they show in the sums */
    sl_real *bias = m->params[1]->value.data;
    bias[0] = (sl_real)0.1, bias[1] = (sl_real)-0.2, bias[2] = (sl_real)0.3, bias[3] = 0;
    printf("\n  (The bias starts at zero; the lesson sets it to [0.1, -0.2, 0.3, 0].)\n\n");
    show_kernel(m);
    sl_real x[3] = {1, 0.5, -2};
    SlTensor in = sl_tensor(sl_shape_of(2, (int[]){1, 3}), x);
    if (sl_model_forward(m, &in, 0, e) < 0)
        lesson_die(e);
    SlTensor y = sl_model_output(m, 0);
    const sl_real *W = m->params[0]->value.data, *b = m->params[1]->value.data;
    printf("\n  For x = [1, 0.5, -2], output unit j is b[j] + x . W[:, j]:\n");
    for (int j = 0; j < 4; j++)
        printf("    y[%d] = %6.3f + 1*%6.3f + 0.5*%6.3f + -2*%6.3f = %7.4f   (engine: %7.4f)\n", j,
               (double)b[j], (double)W[j], (double)W[4 + j], (double)W[8 + j],
               (double)(b[j] + W[j] + 0.5f * W[4 + j] - 2 * W[8 + j]), (double)y.data[j]);
    lesson_visualize(ls, m, "dense", NULL);
    printf("\n  units = 4 is the length of each output vector. It is not the number of samples\n"
           "  and not the number of timesteps: it is how many weighted sums the layer makes.\n");
    sl_model_free(m);
}

static void step_3d(Lesson *ls, SlError *e)
{
    lesson_step(ls, "The same Dense(4) on sequences of 5 timesteps");
    SlModel *m = one_dense("4, input_shape=(5, 3)", e);
    if (!m || sl_model_summary(m, 0, stdout, e) < 0)
        lesson_die(e);
    printf("\n");
    sl_real x[5 * 3];
    for (int i = 0; i < 15; i++)
        x[i] = (sl_real)(0.1 * i - 0.7);
    SlTensor in = sl_tensor(sl_shape_of(3, (int[]){1, 5, 3}), x);
    if (sl_model_forward(m, &in, 0, e) < 0)
        lesson_die(e);
    SlTensor y = sl_model_output(m, 0);
    lesson_print_tensor("the output for one sample (5 timesteps x 4 units)", &y, 5);
    /* timestep 2 through the kernel by hand */
    const sl_real *W = m->params[0]->value.data, *b = m->params[1]->value.data;
    double worst = 0;
    for (int t = 0; t < 5; t++)
        for (int j = 0; j < 4; j++) {
            double s = b[j];
            for (int i = 0; i < 3; i++)
                s += x[t * 3 + i] * W[i * 4 + j];
            double d = s - y.data[t * 4 + j];
            worst = d > worst ? d : (-d > worst ? -d : worst);
        }
    printf("\n  Each row is x[t] . W + b with the same W and b: recomputed by hand, the largest\n"
           "  difference from the engine is %.1e. Still %zu parameters: Dense acts on the last\n"
           "  axis and keeps every other axis, (None, 5, 3) -> (None, 5, 4).\n",
           worst, sl_model_count_params(m));
    lesson_visualize(ls, m, "dense", NULL);
    lesson_expect(worst <= 1e-5, "the sequence case disagrees with the hand computation");
    sl_model_free(m);
}

static void step_formula(Lesson *ls, SlError *e)
{
    lesson_step(ls, "The parameter count: in * units + units");
    static const int sizes[][2] = {{3, 4}, {13, 64}, {64, 1}, {32, 112}, {160, 1}};
    printf("  %-28s %-26s %s\n", "layer", "formula", "summary says");
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        char args[64], f[64], name[40];
        snprintf(args, sizeof args, "%d, input_shape=(%d,)", sizes[i][1], sizes[i][0]);
        SlModel *m = one_dense(args, e);
        if (!m)
            lesson_die(e);
        m->nodes[1].layer->type->formula(m->nodes[1].layer, f, sizeof f);
        snprintf(name, sizeof name, "Dense(%d) on %d features", sizes[i][1], sizes[i][0]);
        printf("  %-28s %-26s %zu\n", name, f, sl_model_count_params(m));
        sl_model_free(m);
    }
    printf("\n  The +units is the bias: one number added to each output unit.\n");
}

int main(int argc, char **argv)
{
    Lesson ls;
    if (lesson_begin(&ls, argc, argv, "Lesson 02: Dense and its units",
                     "What does units mean, and what does Dense do to a 3-D input?",
                     "the kernel's numbers, one output computed by hand, the same kernel on every "
                     "timestep, and the parameter formula",
                     1))
        return 0;
    SlError e;
    step_2d(&ls, &e);
    step_3d(&ls, &e);
    step_formula(&ls, &e);
    lesson_step(&ls, "What to remember");
    printf("  - Dense(units) maps the last axis from `in` values to `units` values.\n"
           "  - Its kernel is (in, units) and its bias (units,): in*units + units parameters.\n"
           "  - On (batch, timesteps, in) the same kernel works at every timestep.\n");
    return 0;
}
