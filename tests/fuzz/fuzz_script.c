/* fuzz_script.c: libFuzzer target for the model-script reader (make fuzz; tests/fuzz/README.md).
 *
 * Each input is a script, run as `shapelab summary` runs it. When it builds a model, the model is
 * summarized; a small one is also planned for a batch of 2 (None axes after the batch: 5), and run
 * forward and backward once on seeded data, so that the shapes a script asks for reach the layers'
 * kernels too. An error is a fine ending; a crash, a leak, undefined behaviour or a hang is a
 * finding.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "script/script.h"
#include "sl.h"

/* Models worth running: few weights and values, so that the reader, not the kernels' loops, gets
 * the time (the kernels have their own tests against PyTorch). */
enum { MAX_RUN_PARAMS = 1 << 12, MAX_RUN_VALUES = 1 << 14 };

static FILE *devnull;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    devnull = fopen("/dev/null", "w");
    return devnull ? 0 : 1;
}

/* Values of the plan: every output of an active call, and its scratch. */
static size_t plan_values(const SlModel *m)
{
    size_t n = 0;
    for (int i = 0; i < m->n_nodes; i++) {
        const SlNode *nd = &m->nodes[i];
        for (int k = 0; m->active[i] && k < nd->run.n_out; k++)
            n += sl_shape_count(&nd->run.out[k]);
        for (int k = 0; m->active[i] && k < nd->scratch.n; k++)
            n += nd->scratch.count[k];
    }
    return n;
}

static void run_small(SlModel *m)
{
    SlShape in[SL_MAX_MODEL_IO];
    SlTensor x[SL_MAX_MODEL_IO], dy[SL_MAX_MODEL_IO];
    sl_real *buf[SL_MAX_MODEL_IO] = {0}, *grad[SL_MAX_MODEL_IO] = {0};
    SlError e;
    SlRng r = sl_rng(7);
    for (int k = 0; k < m->n_inputs; k++) {
        in[k] = m->t[m->inputs[k]].shape;
        for (int d = 0; d < in[k].rank; d++)
            if (in[k].dim[d] == SL_NONE)
                in[k].dim[d] = d == 0 ? 2 : 5;
    }
    if (sl_model_count_params(m) > MAX_RUN_PARAMS || sl_model_plan_shapes(m, in, &e) < 0 ||
        plan_values(m) > MAX_RUN_VALUES)
        return;
    int ok = sl_model_init_params(m, 1, &e) == 0;
    for (int k = 0; ok && k < m->n_inputs; k++) {
        ok = (buf[k] = calloc(sl_shape_count(&in[k]) + 1, sizeof(sl_real))) != NULL;
        x[k] = sl_tensor(in[k], buf[k]);
        if (ok)
            sl_gradcheck_fill_model_input(m, k, &x[k], &r);
    }
    ok = ok && sl_model_forward(m, x, 1, &e) == 0;
    for (int k = 0; ok && k < m->n_outputs; k++) {
        SlTensor y = sl_model_output(m, k);
        ok = (grad[k] = calloc(sl_tensor_count(&y) + 1, sizeof(sl_real))) != NULL;
        for (size_t i = 0; ok && i < sl_tensor_count(&y); i++)
            grad[k][i] = (sl_real)sl_rng_range(&r, -1, 1);
        dy[k] = sl_tensor(y.shape, grad[k]);
    }
    if (ok)
        sl_model_backward(m, dy, 1, &e);
    for (int k = 0; k < SL_MAX_MODEL_IO; k++)
        free(buf[k]), free(grad[k]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    SlScriptOptions o = {0};
    SlError e;
    SlScript *s = sl_script_run_text("fuzz.py", (const char *)data, size, &o, &e);
    if (!s)
        return 0;
    SlModel *m = sl_script_model(s, &e);
    if (m && m->n_outputs > 0) {
        sl_model_summary(m, sl_script_summary_width(s), devnull, &e);
        run_small(m);
    }
    sl_script_free(s);
    return 0;
}
