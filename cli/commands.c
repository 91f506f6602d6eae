/* commands.c: shapelab's subcommands. Each builds the model from the script, then does one job
 * with the engine's public API, and reports bad input as "shapelab: error: ..." with exit 2. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "files.h"
#include "scene.h"
#include "window.h"

/* ---- summary ---- */

/* The layers of m that hold their own weights, each once: a shared layer's first call, no Input. */
static int formula_layers(const SlModel *m, const SlLayer **out)
{
    int n = 0;
    for (int i = 0; i < m->n_nodes; i++) {
        const SlLayer *l = m->nodes[i].layer;
        int dup = 0;
        for (int k = 0; k < n; k++)
            dup |= out[k] == l;
        if (!dup && !sl_layer_is(l, SL_KIND_INPUT))
            out[n++] = l;
    }
    return n;
}

static void explain(const SlModel *m)
{
    const SlLayer *ls[SL_MAX_NODES];
    int n = formula_layers(m, ls), width = 30;
    char who[SL_MAX_NODES][160];
    for (int i = 0; i < n; i++) { /* the names' column fits the longest */
        snprintf(who[i], sizeof who[i], "%s (%s)", ls[i]->name, ls[i]->type->name);
        width = (int)strlen(who[i]) > width ? (int)strlen(who[i]) : width;
    }
    printf("\nParameter formulas:\n");
    for (int i = 0; i < n; i++) {
        char f[256];
        ls[i]->type->formula(ls[i], f, sizeof f);
        printf("  %-*s %s\n", width, who[i], f);
        ls[i]->type->note(ls[i], f, sizeof f);
        if (f[0])
            printf("  %-*s (%s)\n", width, "", f);
    }
}

int cmd_summary(Opts *o)
{
    SlModel *m;
    SlError e;
    SlScript *s = cli_load(o, &m);
    if (!s)
        return 2;
    int rc = sl_model_summary(m, sl_script_summary_width(s), stdout, &e);
    if (rc < 0)
        cli_fail("%s: %s", o->script, e.msg);
    else if (o->explain)
        explain(m);
    sl_script_free(s);
    return rc < 0 ? 2 : 0;
}

/* ---- trace ---- */

static void trace_line(const SlNode *nd, const SlInfer *io)
{
    char who[160], in[256] = "", out[256] = "", s[96];
    size_t u = 0;
    snprintf(who, sizeof who, "%s (%s)", nd->layer->name, nd->layer->type->name);
    for (int k = 0; k < io->n_in && u < sizeof in; k++)
        u += (size_t)snprintf(in + u, sizeof in - u, "%s%s%s", k ? ", " : "",
                              sl_shape_str(&io->in[k], s, sizeof s), io->in_mask[k] ? "+mask" : "");
    u = 0;
    for (int k = 0; k < io->n_out && u < sizeof out; k++)
        u += (size_t)snprintf(out + u, sizeof out - u, "%s%s%s", k ? ", " : "",
                              sl_shape_str(&io->out[k], s, sizeof s),
                              io->out_mask[k] != SL_MASK_NONE ? "+mask" : "");
    printf("%-28s %s%s-> %s\n    %s\n", who, in, io->n_in ? " " : "", out, nd->why);
}

/* For models with window layers (Conv1D, pooling ...): the receptive field table, and with a
 * concrete input, the input steps that feed the last step at the top of the window stack. */
static void trace_receptive(const SlModel *m, const SlShape *in)
{
    SlReceptive r;
    SlError e;
    char buf[4096];
    if (sl_receptive_field(m, &r, &e) < 0 || r.n == 0)
        return;
    sl_receptive_format(m, &r, buf, sizeof buf);
    printf("%s\n", buf);
    int len[SL_RF_MAX + 1];
    if (!in || in->rank < 3 || sl_receptive_lengths(&r, in->dim[1], len) < 0)
        return;
    unsigned char lit[4096];
    size_t cells = 0;
    for (int i = 0; i <= r.n; i++)
        cells += (size_t)len[i];
    if (cells > sizeof lit)
        return;
    int t = len[r.n] - 1, first = -1, last = -1, count = 0;
    sl_receptive_light(&r, len, t, lit);
    for (int i = 0; i < len[0]; i++)
        if (lit[i]) {
            first = first < 0 ? i : first;
            last = i;
            count++;
        }
    printf("  step %d of %s's output is fed by %d input step%s: %d..%d%s\n", t,
           m->nodes[r.node[r.n - 1]].layer->name, count, count == 1 ? "" : "s", first, last,
           count == last - first + 1 ? "" : " (with gaps)");
}

/* The input shapes for --batch and --timesteps: None axes after the batch become T. */
static int concrete_inputs(Opts *o, const SlModel *m, SlShape *in)
{
    for (int k = 0; k < m->n_inputs; k++) {
        in[k] = m->t[m->inputs[k]].shape;
        if (in[k].dim[0] == SL_NONE)
            in[k].dim[0] = o->have_batch ? o->batch : 1;
        for (int d = 1; d < in[k].rank; d++)
            if (in[k].dim[d] == SL_NONE) {
                if (!o->have_timesteps)
                    return cli_fail("the model's input %s has an axis of unknown size; give "
                                    "--timesteps T",
                                    m->nodes[m->t[m->inputs[k]].node].layer->name);
                in[k].dim[d] = o->timesteps;
            }
    }
    return 0;
}

/* --masks: the mask each call's output carries for one sample, step by step, as the forward pass
 * makes it (the trace's own events). */
typedef struct MaskTrace {
    const SlModel *m;
} MaskTrace;

static void print_mask(void *ctx, const SlEvent *ev)
{
    const MaskTrace *mt = ctx;
    if (ev->kind != SL_EV_LAYER_END)
        return;
    const SlNode *nd = &mt->m->nodes[ev->pass->node];
    const SlEdge *t = &mt->m->t[nd->out[0]];
    char who[160];
    snprintf(who, sizeof who, "%s (%s)", nd->layer->name, nd->layer->type->name);
    if (!t->mask || t->run.rank < 2) {
        printf("  %-28s no mask\n", who);
        return;
    }
    int T = t->run.dim[1], real = 0;
    for (int i = 0; i < T; i++)
        real += t->mask[i] != 0;
    printf("  %-28s mask, %d of %d steps real (t = 0, 1, ...): ", who, real, T);
    for (int i = 0; i < T && i < 120; i++)
        printf("%s%d", i && i % 10 == 0 ? " " : "", t->mask[i] != 0);
    printf("%s\n", T > 120 ? " ..." : "");
}

/* One sample through the model with the masks printed: sample --sample of -x, or a seeded one
 * whose last third is zeros (padded, as the mask scene pads it). */
static int trace_masks(Opts *o, SlModel *m)
{
    SlError e;
    SlNpy arrays[CLI_MAX_FILES];
    SlTensor x[CLI_MAX_FILES];
    sl_real *buf[CLI_MAX_FILES] = {0};
    int rc = 0, n_data = o->n_x;
    if (n_data && (rc = cli_read_arrays(o->x, n_data, arrays, x)) != 0)
        return rc;
    if (n_data && n_data != m->n_inputs)
        rc = cli_fail("model '%s' takes %d input%s; give one -x each", m->name, m->n_inputs,
                      m->n_inputs == 1 ? "" : "s");
    SlShape in[SL_MAX_MODEL_IO];
    if (rc == 0 && !n_data && !o->have_timesteps)
        o->timesteps = 8, o->have_timesteps = 1; /* the seeded sample's steps */
    if (rc == 0 && !n_data)
        rc = concrete_inputs(o, m, in);
    for (int k = 0; k < m->n_inputs && rc == 0; k++) {
        if (n_data) { /* the chosen sample, alone */
            if (o->sample >= x[k].shape.dim[0]) {
                rc = cli_fail("%s has %d samples; --sample %d is past its end", o->x[k],
                              x[k].shape.dim[0], o->sample);
                break;
            }
            size_t per = sl_shape_sample_count(&x[k].shape);
            in[k] = x[k].shape;
            in[k].dim[0] = 1;
            x[k] = sl_tensor(in[k], x[k].data + (size_t)o->sample * per);
            continue;
        }
        in[k].dim[0] = 1;
        buf[k] = calloc(sl_shape_count(&in[k]) + 1, sizeof(sl_real));
        if (!buf[k]) {
            rc = cli_fail("out of memory");
            break;
        }
        x[k] = sl_tensor(in[k], buf[k]);
        SlRng r = sl_rng(42 + (uint64_t)k);
        sl_gradcheck_fill_model_input(m, k, &x[k], &r);
        if (k == 0 && in[k].rank >= 2) { /* the last third of the steps: padding */
            int T = in[k].dim[1], pad = T / 3 + 1;
            size_t step = sl_shape_sample_count(&in[k]) / (size_t)T;
            memset(buf[k] + (size_t)(T - pad) * step, 0, (size_t)pad * step * sizeof(sl_real));
        }
    }
    if (rc == 0) {
        printf("\nmasks of %s, layer by layer (1: a real step, 0: a masked one):\n",
               n_data ? "your sample" : "a seeded sample with its last third zeros");
        MaskTrace mt = {m};
        SlObserver obs = {print_mask, &mt};
        const SlObserver *old = m->obs;
        sl_model_set_observer(m, &obs);
        if (sl_model_forward(m, x, 0, &e) < 0)
            rc = cli_fail("%s", e.msg);
        sl_model_set_observer(m, old);
    }
    for (int k = 0; k < CLI_MAX_FILES; k++)
        free(buf[k]);
    if (n_data)
        cli_free_arrays(arrays, n_data);
    return rc;
}

int cmd_trace(Opts *o)
{
    SlModel *m;
    SlError e;
    SlScript *s = cli_load(o, &m);
    if (!s)
        return 2;
    int concrete = o->have_batch || o->have_timesteps, rc = 0;
    SlShape in[SL_MAX_MODEL_IO];
    if ((o->n_x || o->have_sample) && !o->masks)
        rc = cli_fail("trace reads -x and --sample for --masks only");
    else if (m->n_outputs == 0)
        rc = cli_fail("%s: model '%s' has no input shape yet, so it has no shapes to trace",
                      o->script, m->name);
    else if (concrete && (rc = concrete_inputs(o, m, in)) == 0 &&
             sl_model_plan_shapes(m, in, &e) < 0)
        rc = cli_fail("%s", e.msg);
    if (rc == 0) {
        printf("model \"%s\"%s\n", m->name,
               concrete ? " with a batch of data" : ": None is any size, known when data arrives");
        for (int n = 0; n < m->n_nodes; n++) {
            SlNode *nd = &m->nodes[n];
            if (concrete && !m->active[n])
                continue;
            if (!concrete)
                sl_node_explain(nd, &nd->sym);
            trace_line(nd, concrete ? &nd->run : &nd->sym);
        }
        trace_receptive(m, concrete ? &in[0] : NULL);
        if (o->masks && (rc = sl_model_ensure_params(m, &e)) != 0)
            rc = cli_fail("%s", e.msg);
        else if (o->masks)
            rc = trace_masks(o, m);
    }
    sl_script_free(s);
    return rc;
}

/* ---- init ---- */

int cmd_init(Opts *o)
{
    SlModel *m;
    SlError e;
    if (!o->out)
        return cli_fail("init needs -o W.safetensors");
    SlScript *s = cli_load(o, &m);
    if (!s)
        return 2;
    int rc = 0;
    if (m->n_outputs == 0)
        rc = cli_fail("%s: model '%s' is not built (no input shape), so its weights have no "
                      "shapes yet",
                      o->script, m->name);
    else if (sl_model_init_params(m, o->seed, &e) < 0 || sl_model_save_weights(m, o->out, &e) < 0)
        rc = cli_fail("%s", e.msg);
    else
        printf("wrote %d weight tensors (%zu values) of model '%s' to %s\n", m->n_params,
               sl_model_count_params(m), m->name, o->out);
    sl_script_free(s);
    return rc;
}

/* ---- data files against the model, naming each file ---- */

static int check_finite(const char *const *paths, const SlTensor *t, int n)
{
    SlError e;
    for (int k = 0; k < n; k++)
        if (sl_tensor_check_finite(&t[k], paths[k], &e) < 0)
            return cli_fail("%s", e.msg);
    return 0;
}

/* After check_finite, so a NaN is named by its file. */
static int check_x(const SlModel *m, const char *const *paths, const SlTensor *x)
{
    SlError e;
    for (int k = 0; k < m->n_inputs; k++)
        if (sl_model_check_x(m, k, &x[k], &e) < 0)
            return cli_fail("%s: %s", paths[k], e.msg);
    return 0;
}

/* Every file has the samples of the first -x file. */
static int check_counts(const char *first, int n0, const char *const *paths, const SlTensor *t,
                        int n)
{
    char s[96];
    for (int k = 0; k < n; k++)
        if (t[k].shape.dim[0] != n0)
            return cli_fail("%s has %d samples (shape %s), but %s has %d samples; every file "
                            "needs the same number of samples first",
                            paths[k], t[k].shape.dim[0], sl_shape_str(&t[k].shape, s, sizeof s),
                            first, n0);
    return 0;
}

/* Before a value is read: every file's header, the -x files' shapes against the model and the
 * sample counts of all, so that a file of the wrong shape is refused without being read whole. */
static int check_headers(const Opts *o, const SlModel *m)
{
    SlTensor x[CLI_MAX_FILES], y[CLI_MAX_FILES], sw[1];
    int rc, n0;
    if ((rc = cli_peek_arrays(o->x, o->n_x, x)) != 0 || (rc = check_x(m, o->x, x)) != 0)
        return rc;
    n0 = x[0].shape.dim[0];
    if ((rc = check_counts(o->x[0], n0, o->x, x, o->n_x)) != 0 ||
        (rc = cli_peek_arrays(o->y, o->n_y, y)) != 0 ||
        (rc = check_counts(o->x[0], n0, o->y, y, o->n_y)) != 0)
        return rc;
    if (o->sample_weight && ((rc = cli_peek_arrays(&o->sample_weight, 1, sw)) != 0 ||
                             (rc = check_counts(o->x[0], n0, &o->sample_weight, sw, 1)) != 0))
        return rc;
    return 0;
}

/* ---- predict ---- */

static int ends_with(const char *s, const char *end)
{
    size_t a = strlen(s), b = strlen(end);
    return a >= b && !strcmp(s + a - b, end);
}

/* A model built for one batch size (batch_input_shape=, batch_size=, as a stateful model must be)
 * takes batches of exactly that many rows: *bs becomes it (or -B must say it), and the rows of
 * `path` must fill the last batch. */
static int fixed_batch(const Opts *o, const SlModel *m, const char *path, int rows, int *bs)
{
    int fixed = m->t[m->inputs[0]].shape.dim[0];
    *bs = o->batch_size ? o->batch_size : 32;
    if (fixed == SL_NONE)
        return 0;
    if (o->batch_size && o->batch_size != fixed)
        return cli_fail("model '%s' is built for batches of exactly %d rows (its batch_input_shape "
                        "or batch_size); give --batch-size %d, or none",
                        m->name, fixed, fixed);
    *bs = fixed;
    if (rows % fixed)
        return cli_fail(
            "model '%s' takes batches of exactly %d rows, and %s has %d: the last batch "
            "would be partial (%d rows). Give a number of rows that is a multiple of "
            "%d (e.g. the first %d)",
            m->name, fixed, path, rows, rows % fixed, fixed, rows - rows % fixed);
    return 0;
}

/* A stateful layer starts each batch from the states the last one left (row i from row i), so it
 * needs the rows in their order; Keras fits such a model with shuffle=False. */
static void warn_stateful_shuffle(const SlModel *m)
{
    for (int i = 0; i < m->n_layers; i++) {
        double stateful = 0;
        if (sl_layer_arg_num(m->layers[i], "stateful", &stateful) == 0 && stateful != 0) {
            fprintf(stderr,
                    "shapelab: warning: layer '%s' is stateful, and train shuffles the rows "
                    "every epoch, so a state meets rows that do not follow its own; give "
                    "--no-shuffle (Keras: shuffle=False)\n",
                    m->layers[i]->name);
            return;
        }
    }
}

static int write_outputs(const char *path, const SlTensor *out, int n)
{
    SlError e;
    if (ends_with(path, ".npy")) {
        if (n != 1)
            return cli_fail("the model has %d outputs; write them to a .safetensors file "
                            "(output_0, output_1, ...)",
                            n);
        return sl_npy_write(path, &out[0], &e) < 0 ? cli_fail("%s", e.msg) : 0;
    }
    if (!ends_with(path, ".safetensors"))
        return cli_fail("%s: write predictions to a .npy or a .safetensors file", path);
    char names[SL_MAX_MODEL_IO][16];
    const char *np[SL_MAX_MODEL_IO];
    for (int k = 0; k < n; k++) {
        snprintf(names[k], sizeof names[k], "output_%d", k);
        np[k] = names[k];
    }
    return sl_st_write(path, n, np, out, 0, NULL, NULL, &e) < 0 ? cli_fail("%s", e.msg) : 0;
}

/* What predict wrote: each output's layer, its shape, and where it went. */
static void print_outputs(const SlModel *m, const char *path, const SlTensor *out)
{
    int one = ends_with(path, ".npy");
    for (int k = 0; k < m->n_outputs; k++) {
        char shape[96];
        const SlLayer *l = m->nodes[m->t[m->outputs[k]].node].layer;
        printf("output '%s' %s -> %s", l->name, sl_shape_str(&out[k].shape, shape, sizeof shape),
               path);
        if (!one)
            printf(" as output_%d", k);
        printf("\n");
    }
}

int cmd_predict(Opts *o)
{
    SlModel *m;
    SlError e;
    SlNpy arrays[CLI_MAX_FILES];
    SlTensor x[CLI_MAX_FILES], out[SL_MAX_MODEL_IO];
    int bs;
    if (!o->out || o->n_x == 0)
        return cli_fail("predict needs -x X.npy and -o OUT.npy (or OUT.safetensors)");
    SlScript *s = cli_load(o, &m);
    if (!s)
        return 2;
    int rc = cli_weights(o, m);
    if (rc == 0 && o->n_x != m->n_inputs)
        rc = cli_fail("model '%s' has %d inputs; give one -x file for each (got %d)", m->name,
                      m->n_inputs, o->n_x);
    if (rc == 0 && (rc = check_headers(o, m)) == 0 &&
        (rc = cli_read_arrays(o->x, o->n_x, arrays, x)) == 0) {
        if ((rc = check_finite(o->x, x, o->n_x)) != 0 || (rc = check_x(m, o->x, x)) != 0 ||
            (rc = check_counts(o->x[0], x[0].shape.dim[0], o->x, x, o->n_x)) != 0) {
            /* reported */
        } else if ((rc = fixed_batch(o, m, o->x[0], x[0].shape.dim[0], &bs)) != 0) {
            /* reported */
        } else if (sl_model_predict(m, x, bs, out, &e) < 0) {
            rc = cli_fail("%s", e.msg);
        } else {
            rc = write_outputs(o->out, out, m->n_outputs);
            if (rc == 0)
                print_outputs(m, o->out, out);
            for (int k = 0; k < m->n_outputs; k++)
                sl_free(out[k].data);
        }
        cli_free_arrays(arrays, o->n_x);
    }
    sl_script_free(s);
    return rc;
}

/* ---- train ---- */

/* --history: a CSV of the epochs, one row each, the columns named as History names them. */
static int fill_history(FILE *f, void *ctx)
{
    const SlHistory *h = ctx;
    fprintf(f, "epoch");
    for (int i = 0; h->n_epochs && i < h->epochs[0].n; i++)
        fprintf(f, ",%s", h->epochs[0].name[i]);
    fprintf(f, "\n");
    for (int ep = 0; ep < h->n_epochs; ep++) {
        fprintf(f, "%d", h->first_epoch + ep + 1);
        for (int i = 0; i < h->epochs[ep].n; i++)
            fprintf(f, ",%.8g", h->epochs[ep].value[i]);
        fprintf(f, "\n");
    }
    return ferror(f) ? (errno ? errno : EIO) : 0;
}

static int write_history(const char *path, const SlHistory *h)
{
    SlError e;
    if (sl_save_file(path, fill_history, (void *)h, &e) < 0)
        return cli_fail("%s", e.msg);
    return 0;
}

/* --viz: the curves redrawn in a window after every epoch. */
typedef struct Live {
    SlWindow *win;
    SlCanvas canvas;
    SlHistory h; /* the epochs so far, in room for every epoch of the fit (cap) */
    int cap;
    int closed;
} Live;

/* The window, the canvas and the epochs' room, all before the first step. */
static int live_open(Live *lv, int epochs, SlError *e)
{
    memset(lv, 0, sizeof *lv);
    lv->cap = epochs;
    if (!(lv->h.epochs = sl_alloc((size_t)epochs * sizeof *lv->h.epochs)))
        return sl_errorf(e, "train --viz: out of memory for %d epochs of logs", epochs);
    if (sl_canvas_init(&lv->canvas, 1280, 720, e) < 0 ||
        !(lv->win = sl_window_open("shapelab train", e)))
        return -1;
    return 0;
}

static void live_close(Live *lv)
{
    sl_window_close(lv->win);
    sl_canvas_free(&lv->canvas);
    sl_free(lv->h.epochs);
}

static void on_epoch(void *ctx, const SlEvent *ev)
{
    Live *lv = ctx;
    if (ev->kind != SL_EV_EPOCH_END || lv->closed || lv->h.n_epochs >= lv->cap)
        return;
    SlLogs *l = &lv->h.epochs[lv->h.n_epochs++];
    l->n = ev->n_metrics < SL_MAX_LOGS ? ev->n_metrics : SL_MAX_LOGS;
    for (int i = 0; i < l->n; i++) {
        snprintf(l->name[i], SL_LOG_NAME_MAX, "%s", ev->metric_names[i]);
        l->value[i] = ev->metric_values[i];
    }
    sl_draw_history(&lv->canvas, &lv->h, "shapelab train: loss and metrics per epoch");
    lv->closed = sl_window_show(lv->win, &lv->canvas);
}

static int write_plot(const char *path, const SlModel *m, const SlHistory *h)
{
    SlCanvas c;
    SlError e;
    char title[160];
    if (sl_canvas_init(&c, 1280, 720, &e) < 0)
        return cli_fail("%s", e.msg);
    snprintf(title, sizeof title, "model \"%s\": training", m->name);
    sl_draw_history(&c, h, title);
    int rc = sl_canvas_write_png(&c, path, &e) < 0 ? cli_fail("%s", e.msg) : 0;
    sl_canvas_free(&c);
    return rc;
}

static int fit_and_save(Opts *o, SlModel *m, SlTensor *x, SlTensor *y, SlTensor *sw)
{
    SlError e;
    SlHistory h;
    Live lv;
    SlObserver obs = {on_epoch, &lv};
    SlFitOptions f = sl_fit_defaults();
    f.epochs = o->epochs ? o->epochs : 1;
    if (fixed_batch(o, m, o->x[0], x[0].shape.dim[0], &f.batch_size) != 0)
        return 2;
    if (o->viz) {
        if (live_open(&lv, f.epochs, &e) < 0) {
            live_close(&lv);
            return cli_fail("%s", e.msg);
        }
        sl_model_set_observer(m, &obs);
    }
    f.shuffle = !o->no_shuffle;
    if (f.shuffle)
        warn_stateful_shuffle(m);
    f.seed = o->seed;
    f.validation_split = o->validation_split;
    f.sample_weight = sw;
    f.nan_guard = !o->no_nan_guard;
    f.checkpoint = o->checkpoint ? o->checkpoint : o->resume; /* a resumed run goes on saving */
    f.resume = o->resume;
    int fit_rc = sl_model_fit(m, x, y, &f, &h, &e);
    if (o->viz) {
        sl_model_set_observer(m, NULL);
        live_close(&lv);
    }
    if (fit_rc < 0 && fit_rc != SL_FIT_NONFINITE) {
        sl_history_free(&h);
        return cli_fail("%s", e.msg);
    }
    /* stopped by the NaN guard: exit 1, as a failed check, after saving the weights from before
     * the bad step and the epochs finished before it */
    if (fit_rc == SL_FIT_NONFINITE)
        cli_fail("%s", e.msg);
    int rc = sl_model_save_weights(m, o->out, &e) < 0 ? cli_fail("%s", e.msg) : 0;
    if (rc == 0 && o->history)
        rc = write_history(o->history, &h);
    if (rc == 0 && o->plot)
        rc = write_plot(o->plot, m, &h);
    sl_history_free(&h);
    if (rc == 0 && fit_rc == SL_FIT_NONFINITE) {
        fprintf(stderr,
                "shapelab: %s holds the weights from before that step (train --no-nan-guard "
                "trains on regardless)\n",
                o->out);
        rc = 1;
    }
    return rc;
}

int cmd_train(Opts *o)
{
    SlModel *m;
    SlNpy xa[CLI_MAX_FILES], ya[CLI_MAX_FILES], wa[1];
    SlTensor x[CLI_MAX_FILES], y[CLI_MAX_FILES], sw[SL_MAX_MODEL_IO];
    if (!o->out || !o->n_x || !o->n_y)
        return cli_fail("train needs -x X.npy, -y Y.npy and -o W.safetensors");
    SlScript *s = cli_load(o, &m);
    if (!s)
        return 2;
    int rc = cli_weights(o, m);
    if (rc == 0 && !m->compiled)
        rc = cli_fail("%s: the script does not compile the model; add model.compile(loss=..., "
                      "optimizer=...)",
                      o->script);
    if (rc == 0 && (o->n_x != m->n_inputs || o->n_y != m->n_outputs))
        rc = cli_fail("model '%s' has %d inputs and %d outputs; give that many -x and -y files "
                      "(got %d and %d)",
                      m->name, m->n_inputs, m->n_outputs, o->n_x, o->n_y);
    if (rc == 0 && (rc = check_headers(o, m)) == 0 &&
        (rc = cli_read_arrays(o->x, o->n_x, xa, x)) == 0) {
        if ((rc = cli_read_arrays(o->y, o->n_y, ya, y)) == 0) {
            memset(sw, 0, sizeof sw);
            if (!o->sample_weight || (rc = cli_read_arrays(&o->sample_weight, 1, wa, sw)) == 0) {
                int n0 = x[0].shape.dim[0];
                if ((rc = check_finite(o->x, x, o->n_x)) == 0 && (rc = check_x(m, o->x, x)) == 0 &&
                    (rc = check_finite(o->y, y, o->n_y)) == 0 &&
                    (rc = check_counts(o->x[0], n0, o->x, x, o->n_x)) == 0 &&
                    (rc = check_counts(o->x[0], n0, o->y, y, o->n_y)) == 0 &&
                    (!o->sample_weight ||
                     ((rc = check_finite(&o->sample_weight, sw, 1)) == 0 &&
                      (rc = check_counts(o->x[0], n0, &o->sample_weight, sw, 1)) == 0)))
                    rc = fit_and_save(o, m, x, y, o->sample_weight ? sw : NULL);
                if (o->sample_weight)
                    cli_free_arrays(wa, 1);
            }
            cli_free_arrays(ya, o->n_y);
        }
        cli_free_arrays(xa, o->n_x);
    }
    sl_script_free(s);
    return rc;
}

/* ---- gradcheck ---- */

#ifdef SL_DOUBLE
/* Values of t as NumPy prints an array: nested brackets, one row of the last axis a line. */
static void print_values(const char *title, const SlTensor *t)
{
    char shape[96];
    const SlShape *s = &t->shape;
    printf("%s %s:\n", title, sl_shape_str(s, shape, sizeof shape));
    size_t n = sl_tensor_count(t), last = s->rank ? (size_t)s->dim[s->rank - 1] : 1;
    for (size_t i = 0; i < n; i++) {
        int open = 0, close = 0; /* brackets opened before and closed after element i */
        for (size_t span = 1, a = (size_t)s->rank; a-- > 0;) {
            span *= (size_t)s->dim[a];
            open += i % span == 0, close += (i + 1) % span == 0;
        }
        if (i % last == 0)
            printf("%*s%.*s", s->rank - open, "", open, "[[[[[[[[");
        printf("%10.6g%s", (double)t->data[i], (i + 1) % last ? " " : "");
        if ((i + 1) % last == 0)
            printf("%.*s\n", close, "]]]]]]]]");
    }
}

/* --dy: one backward pass from the given output gradient, for checking a backward pass by hand
 * (a convolution's input gradient is the full correlation of dy with the kernel). */
static int gradients_of_dy(Opts *o, SlModel *m)
{
    SlError e;
    SlNpy xa[CLI_MAX_FILES], da;
    SlTensor x[CLI_MAX_FILES], dy;
    if (!o->n_x)
        return cli_fail("--dy needs -x X.npy: the input whose output gradient DY is");
    if (m->n_outputs != 1 || o->n_x != m->n_inputs)
        return cli_fail("--dy takes a model of one output, and one -x file per input (model '%s' "
                        "has %d inputs and %d outputs)",
                        m->name, m->n_inputs, m->n_outputs);
    int rc = cli_weights(o, m);
    if (rc != 0 || (rc = cli_read_arrays(o->x, o->n_x, xa, x)) != 0)
        return rc;
    if ((rc = check_finite(o->x, x, o->n_x)) == 0 && (rc = check_x(m, o->x, x)) == 0 &&
        (rc = cli_read_arrays(&o->dy, 1, &da, &dy)) == 0) {
        char want[96], got[96];
        SlShape out = {0};
        if ((rc = check_finite(&o->dy, &dy, 1)) != 0) {
            /* reported */
        } else if (sl_model_forward(m, x, 0, &e) < 0) {
            rc = cli_fail("%s", e.msg);
        } else if (out = sl_model_output(m, 0).shape, !sl_shape_equal(&dy.shape, &out)) {
            rc = cli_fail("%s has shape %s, but the output for %s has shape %s; dy is the "
                          "gradient of the loss with respect to the output, one value per output "
                          "value",
                          o->dy, sl_shape_str(&dy.shape, got, sizeof got), o->x[0],
                          sl_shape_str(&out, want, sizeof want));
        } else if (sl_model_backward(m, &dy, 0, &e) < 0) {
            rc = cli_fail("%s", e.msg);
        } else {
            printf("gradients of model '%s' for the output gradient %s\n", m->name, o->dy);
            for (int k = 0; k < m->n_inputs; k++) {
                SlTensor g = sl_model_input_grad(m, k);
                char title[160];
                snprintf(title, sizeof title, "\ninput '%s'",
                         m->nodes[m->t[m->inputs[k]].node].layer->name);
                print_values(title, &g);
            }
            for (int i = 0; i < m->n_params; i++)
                if (m->params[i]->trainable) {
                    char title[160];
                    snprintf(title, sizeof title, "\n%s", m->param_names[i]);
                    print_values(title, &m->params[i]->grad);
                }
        }
        cli_free_arrays(&da, 1);
    }
    cli_free_arrays(xa, o->n_x);
    return rc;
}
#endif

int cmd_gradcheck(Opts *o)
{
#ifndef SL_DOUBLE
    return cli_run_double(o, "gradcheck");
#else
    SlModel *m;
    SlError e;
    SlScript *s = cli_load(o, &m);
    if (!s)
        return 2;
    if (o->dy || o->n_x || o->weights) {
        int rc = o->dy ? gradients_of_dy(o, m)
                       : cli_fail("gradcheck takes -x and -w with --dy DY.npy only; without it, "
                                  "it checks on inputs and weights of its own");
        sl_script_free(s);
        return rc;
    }
    SlShape in[SL_MAX_MODEL_IO];
    sl_real *buf[SL_MAX_MODEL_IO] = {0};
    SlTensor x[SL_MAX_MODEL_IO];
    if (!o->have_batch)
        o->batch = 2, o->have_batch = 1;
    if (!o->have_timesteps)
        o->timesteps = 5, o->have_timesteps = 1;
    int rc = m->n_outputs ? 0 : cli_weights(o, m); /* cli_weights explains an unbuilt model */
    if (rc == 0 && (rc = concrete_inputs(o, m, in)) == 0) {
        SlRng r = sl_rng(o->seed);
        for (int k = 0; k < m->n_inputs && rc == 0; k++) {
            buf[k] = calloc(sl_shape_count(&in[k]) + 1, sizeof(sl_real));
            x[k] = sl_tensor(in[k], buf[k]);
            if (!buf[k])
                rc = cli_fail("out of memory");
            else
                sl_gradcheck_fill_model_input(m, k, &x[k], &r);
        }
        SlGradcheckOptions go = sl_gradcheck_defaults();
        SlGradcheckReport rep;
        go.seed = o->seed;
        char table[16384];
        int unzeroed = 0;
        if (rc == 0 && sl_model_init_params(m, o->seed, &e) == 0 &&
            (unzeroed = sl_gradcheck_unzero_params(m, &r)) >= 0 &&
            sl_gradcheck(m, x, &go, &rep, &e) == 0) {
            sl_gradcheck_format(&rep, table, sizeof table);
            printf("gradient check of model '%s' in double: objective sum(output * R), central "
                   "differences\n",
                   m->name);
            if (unzeroed)
                printf("(%d weight tensor%s that start%s at zero, the biases, drawn from "
                       "U(-0.1, 0.1): at zero a relu unit on zero padding sits exactly on its "
                       "kink)\n",
                       unzeroed, unzeroed == 1 ? "" : "s", unzeroed == 1 ? "s" : "");
            printf("\n%s\nmax error %.2e (tolerance %.0e): %s\n", table, rep.max_err, go.tol,
                   rep.ok ? "ok" : "FAILED");
            rc = rep.ok ? 0 : 1;
        } else if (rc == 0) {
            rc = cli_fail("%s", e.msg);
        }
    }
    for (int k = 0; k < SL_MAX_MODEL_IO; k++)
        free(buf[k]);
    sl_script_free(s);
    return rc;
#endif
}
