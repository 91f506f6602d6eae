/* checkpoint.c: saving and restoring a fit's state at an epoch's end (checkpoint.h). */
#include "checkpoint.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "files.h"
#include "layers/rnn.h"
#include "safetensors.h"

enum { MAX_CARRIED = 64, MAX_TENSORS = SL_MAX_MODEL_PARAMS + 3 + MAX_CARRIED, PATH_MAX_CK = 4096 };

static const char *const FORMAT = "shapelab checkpoint 1";

/* ---- what the run must keep the same ---- */

/* FNV-1a over the bytes of the tensors' shapes and values. */
static uint64_t hash_tensors(uint64_t h, const SlTensor *t, int n)
{
    for (int k = 0; k < n; k++) {
        if (!t || !t[k].data)
            continue;
        const unsigned char *p = (const unsigned char *)t[k].shape.dim;
        for (size_t i = 0; i < (size_t)t[k].shape.rank * sizeof(int); i++)
            h = (h ^ p[i]) * 0x100000001b3ull;
        p = (const unsigned char *)t[k].data;
        for (size_t i = 0, c = sl_tensor_count(&t[k]) * sizeof(sl_real); i < c; i++)
            h = (h ^ p[i]) * 0x100000001b3ull;
    }
    return h;
}

static void add_run(SlCheckpoint *c, const char *key, const char *fmt, ...) SL_PRINTF(3, 4);
static void add_run(SlCheckpoint *c, const char *key, const char *fmt, ...)
{
    va_list ap;
    if (c->n_run >= SL_CK_MAX_RUN)
        return;
    snprintf(c->key[c->n_run], sizeof c->key[0], "%s", key);
    va_start(ap, fmt);
    vsnprintf(c->val[c->n_run], sizeof c->val[0], fmt, ap);
    va_end(ap);
    c->n_run++;
}

void sl_checkpoint_describe(SlCheckpoint *c, const SlModel *m, const SlTensor *x, const SlTensor *y,
                            const SlFitOptions *o)
{
    memset(c, 0, sizeof *c);
    uint64_t h = 0xcbf29ce484222325ull;
    h = hash_tensors(h, x, m->n_inputs);
    h = hash_tensors(h, y, m->n_outputs);
    h = hash_tensors(h, o->sample_weight, m->n_outputs);
    h = hash_tensors(h, o->val_x, m->n_inputs);
    h = hash_tensors(h, o->val_y, m->n_outputs);
    h = hash_tensors(h, o->val_sample_weight, m->n_outputs);
    add_run(c, "precision", "%s", SL_REAL_NAME);
    add_run(c, "samples", "%d", x[0].shape.rank ? x[0].shape.dim[0] : 0);
    add_run(c, "batch_size", "%d", o->batch_size);
    add_run(c, "shuffle", "%s", o->shuffle ? "True" : "False");
    add_run(c, "seed", "%" PRIu64, o->seed);
    add_run(c, "validation_split", "%.17g", o->validation_split);
    add_run(c, "data_hash", "%016" PRIx64, h);
}

/* The optimizer's whole configuration, which a resumed run must share. */
static void optimizer_text(const SlOptimizer *o, char *buf, size_t n)
{
    snprintf(buf, n,
             "%s learning_rate=%.17g momentum=%.17g nesterov=%d rho=%.17g centered=%d "
             "beta_1=%.17g beta_2=%.17g amsgrad=%d epsilon=%.17g",
             o->name, o->learning_rate, o->momentum, o->nesterov, o->rho, o->centered, o->beta_1,
             o->beta_2, o->amsgrad, o->epsilon);
}

/* ---- the carried states of stateful layers, inner layers of wrappers included ---- */

typedef struct Carried {
    char name[SL_ST_NAME_MAX]; /* "carried/LAYER/K" (LAYER: "bidirectional/forward_lstm") */
    sl_real *data;
    SlShape shape;
} Carried;

static int collect(const SlLayer *l, const char *prefix, Carried *out, int n)
{
    char path[SL_ST_NAME_MAX];
    snprintf(path, sizeof path, "%s%s", prefix, l->name);
    for (int k = 0; k < 2 && n >= 0; k++) {
        SlShape s;
        sl_real *d = sl_rnn_carried(l, k, &s);
        if (!d)
            continue;
        if (n >= MAX_CARRIED)
            return -1;
        snprintf(out[n].name, sizeof out[n].name, "carried/%s/%d", path, k);
        out[n].data = d;
        out[n++].shape = s;
    }
    char inner[SL_ST_NAME_MAX];
    snprintf(inner, sizeof inner, "%s/", path);
    for (int c = 0; c < l->n_child && n >= 0; c++)
        n = collect(l->child[c], inner, out, n);
    return n;
}

/* How many (at most MAX_CARRIED), or -1 with e set. */
static int carried_states(const SlModel *m, Carried *out, SlError *e)
{
    int n = 0;
    for (int i = 0; i < m->n_layers && n >= 0; i++)
        n = collect(m->layers[i], "", out, n);
    if (n < 0)
        return sl_errorf(e, "model '%s' has more than %d carried states to checkpoint", m->name,
                         MAX_CARRIED);
    return n;
}

/* ---- saving ---- */

static int file_of(const char *dir, char *path, SlError *e)
{
    if ((size_t)snprintf(path, PATH_MAX_CK, "%s/checkpoint.safetensors", dir) >= PATH_MAX_CK)
        return sl_errorf(e, "%s: the folder's name is too long", dir);
    return 0;
}

/* The temporary files of saves that a killed run left in dir (checkpoint.safetensors.XXXXXX.tmp,
 * files.c's names): never a whole checkpoint, so removed. */
static void remove_stale(const char *dir)
{
    static const char base[] = "checkpoint.safetensors.", tail[] = ".tmp";
    char path[PATH_MAX_CK];
    DIR *d = opendir(dir);
    for (struct dirent *de; d && (de = readdir(d));) {
        size_t n = strlen(de->d_name);
        if (n == sizeof base - 1 + 6 + sizeof tail - 1 &&
            !strncmp(de->d_name, base, sizeof base - 1) &&
            !strcmp(de->d_name + n - (sizeof tail - 1), tail) &&
            (size_t)snprintf(path, sizeof path, "%s/%s", dir, de->d_name) < sizeof path)
            unlink(path);
    }
    if (d)
        closedir(d);
}

int sl_checkpoint_prepare(const char *dir, SlError *e)
{
    char path[PATH_MAX_CK];
    if (file_of(dir, path, e) < 0)
        return -1;
    if (mkdir(dir, 0777) != 0 && errno != EEXIST)
        return sl_errorf(e, "%s: cannot make the checkpoint folder: %s", dir, strerror(errno));
    if (sl_check_output(path, e) < 0)
        return -1;
    remove_stale(dir);
    return 0;
}

int sl_checkpoint_save(const char *dir, const SlModel *m, const SlCheckpoint *c, SlError *e)
{
    Carried cs[MAX_CARRIED];
    const char *names[MAX_TENSORS];
    char(*owned)[SL_ST_NAME_MAX] = sl_alloc(MAX_TENSORS * sizeof *owned);
    SlTensor t[MAX_TENSORS];
    char path[PATH_MAX_CK], opt[512], num[4][32];
    int n = 0, nc = carried_states(m, cs, e);
    if (!owned)
        return sl_errorf(e, "%s: out of memory for the checkpoint", dir);
    if (nc < 0 || file_of(dir, path, e) < 0) {
        sl_free(owned);
        return -1;
    }
    for (int i = 0; i < m->n_params; i++, n++) {
        snprintf(owned[n], sizeof owned[n], "weight/%s", m->param_names[i]);
        t[n] = m->params[i]->value;
    }
    for (int k = 0; k < m->opt.n_slots && m->opt.n > 0; k++, n++) {
        snprintf(owned[n], sizeof owned[n], "optimizer/%d", k);
        int len = (int)m->opt.n; /* at most SL_MAX_ELEMENTS: the values arena's own cap */
        t[n] = sl_tensor(sl_shape_of(1, &len), m->opt.state.base + (size_t)k * m->opt.n);
    }
    for (int k = 0; k < nc; k++, n++) {
        snprintf(owned[n], sizeof owned[n], "%s", cs[k].name);
        t[n] = sl_tensor(cs[k].shape, cs[k].data);
    }
    for (int i = 0; i < n; i++)
        names[i] = owned[i];
    optimizer_text(&m->opt, opt, sizeof opt);
    snprintf(num[0], sizeof num[0], "%d", c->epoch);
    snprintf(num[1], sizeof num[1], "%lld", m->opt.iterations);
    snprintf(num[2], sizeof num[2], "%" PRIu64, m->rng.state);
    snprintf(num[3], sizeof num[3], "%" PRIu64, c->shuffle);
    const char *keys[6 + SL_CK_MAX_RUN] = {"format",      "epoch",       "iterations",
                                           "dropout_rng", "shuffle_rng", "optimizer"};
    const char *vals[6 + SL_CK_MAX_RUN] = {FORMAT, num[0], num[1], num[2], num[3], opt};
    for (int i = 0; i < c->n_run; i++)
        keys[6 + i] = c->key[i], vals[6 + i] = c->val[i];
    int rc = sl_st_write(path, n, names, t, 6 + c->n_run, keys, vals, e);
    sl_free(owned);
    if (rc == 0)
        rc = sl_sync_folder(path, e);
    return rc;
}

/* ---- loading ---- */

/* Metadata `key` as an unsigned number; -1 with e set when it is missing or not one. */
static int meta_u64(const SlSafetensors *st, const char *key, uint64_t *out, SlError *e)
{
    const char *v = sl_st_meta(st, key);
    char *end;
    errno = 0;
    unsigned long long u = v ? strtoull(v, &end, 10) : 0;
    if (!v || !*v || *end || errno || v[0] == '-')
        return sl_errorf(e, "%s: the checkpoint's '%s' is %s%s%s, not a number", st->path, key,
                         v ? "'" : "missing", v ? v : "", v ? "'" : "");
    *out = (uint64_t)u;
    return 0;
}

/* The file is a checkpoint of this run: the same build, options, data and optimizer. */
static int check_run(const SlSafetensors *st, const SlModel *m, const SlCheckpoint *c, SlError *e)
{
    const char *f = sl_st_meta(st, "format");
    char opt[512];
    if (!f || strcmp(f, FORMAT))
        return sl_errorf(e, "%s: not a shapelab checkpoint (its format is %s%s%s)", st->path,
                         f ? "'" : "not given", f ? f : "", f ? "'" : "");
    for (int i = 0; i < c->n_run; i++) {
        const char *v = sl_st_meta(st, c->key[i]);
        if (!v || strcmp(v, c->val[i]))
            return sl_errorf(e,
                             "%s: the checkpoint's run had %s %s, this one has %s; a resumed "
                             "run continues the same run (the same data and options)",
                             st->path, c->key[i], v ? v : "(none)", c->val[i]);
    }
    optimizer_text(&m->opt, opt, sizeof opt);
    const char *o = sl_st_meta(st, "optimizer");
    if (!o || strcmp(o, opt))
        return sl_errorf(e,
                         "%s: the checkpoint's optimizer is %s, the script's is %s; resume "
                         "with the script that made it",
                         st->path, o ? o : "(none)", opt);
    return 0;
}

/* Tensor `name` is in the file with shape s; -1 with e naming both shapes otherwise. */
static int expect_tensor(const SlSafetensors *st, const char *name, const SlShape *s, SlError *e)
{
    char a[96], b[96];
    const SlStTensor *t = sl_st_find(st, name);
    if (!t)
        return sl_errorf(e, "%s: the checkpoint has no '%s': it is not of this model", st->path,
                         name);
    SlShape got = {.rank = t->rank};
    for (int d = 0; d < t->rank && d < SL_MAX_RANK; d++)
        got.dim[d] = t->dim[d] > SL_MAX_DIM ? -1 : (int)t->dim[d];
    if (t->rank > SL_MAX_RANK || !sl_shape_equal(&got, s))
        return sl_errorf(e, "%s: '%s' has shape %s in the checkpoint but %s in the model", st->path,
                         name, sl_shape_str(&got, a, sizeof a), sl_shape_str(s, b, sizeof b));
    return 0;
}

/* Every tensor the model needs, with its shape, and none other; their views into t (in the
 * model, where the values go) and names into names. Returns how many, or -1. */
static int expect_all(const SlSafetensors *st, const SlModel *m, Carried *cs, int nc,
                      char (*names)[SL_ST_NAME_MAX], SlTensor *t, SlError *e)
{
    int n = 0;
    for (int i = 0; i < m->n_params; i++, n++) {
        snprintf(names[n], sizeof names[n], "weight/%s", m->param_names[i]);
        t[n] = m->params[i]->value;
    }
    for (int k = 0; k < m->opt.n_slots && m->opt.n > 0; k++, n++) {
        int len = (int)m->opt.n;
        snprintf(names[n], sizeof names[n], "optimizer/%d", k);
        t[n] = sl_tensor(sl_shape_of(1, &len), m->opt.state.base + (size_t)k * m->opt.n);
    }
    for (int k = 0; k < nc; k++, n++) {
        snprintf(names[n], sizeof names[n], "%s", cs[k].name);
        t[n] = sl_tensor(cs[k].shape, cs[k].data);
    }
    for (int i = 0; i < n; i++)
        if (expect_tensor(st, names[i], &t[i].shape, e) < 0)
            return -1;
    if (st->n != n)
        return sl_errorf(e,
                         "%s: the checkpoint holds %d tensors, model '%s' has %d to restore "
                         "(weights, optimizer state, carried states): it is not of this model",
                         st->path, st->n, m->name, n);
    return n;
}

/* Read the n tensors into one block, check them, then copy them into the model. */
static int restore(const SlSafetensors *st, char (*names)[SL_ST_NAME_MAX], const SlTensor *t, int n,
                   SlError *e)
{
    size_t total = 0, at = 0;
    for (int i = 0; i < n; i++)
        total += sl_tensor_count(&t[i]);
    sl_real *tmp = sl_alloc_zero(total + 1, sizeof *tmp);
    if (!tmp)
        return sl_errorf(e, "%s: out of memory for %zu values", st->path, total);
    int rc = 0;
    for (int i = 0; i < n && rc == 0; i++) {
        size_t c = sl_tensor_count(&t[i]);
        rc = sl_st_get(st, names[i], tmp + at, c, NULL, e);
        for (size_t k = 0; rc == 0 && k < c; k++)
            if (!isfinite((double)tmp[at + k]))
                rc = sl_errorf(e, "%s: '%s' holds NaN or Inf at index %zu", st->path, names[i], k);
        at += c;
    }
    at = 0;
    for (int i = 0; rc == 0 && i < n; i++) {
        size_t c = sl_tensor_count(&t[i]);
        memcpy(t[i].data, tmp + at, c * sizeof *tmp);
        at += c;
    }
    sl_free(tmp);
    return rc;
}

int sl_checkpoint_load(const char *dir, SlModel *m, SlCheckpoint *c, SlError *e)
{
    Carried cs[MAX_CARRIED];
    char path[PATH_MAX_CK];
    SlSafetensors st;
    SlTensor t[MAX_TENSORS];
    uint64_t epoch, iterations, dropout, shuffle;
    int nc = carried_states(m, cs, e);
    if (nc < 0 || file_of(dir, path, e) < 0 || sl_st_read(&st, path, e) < 0)
        return -1;
    char(*names)[SL_ST_NAME_MAX] = sl_alloc(MAX_TENSORS * sizeof *names);
    int rc = names ? 0 : sl_errorf(e, "%s: out of memory", path), n = 0;
    if (rc == 0)
        rc = check_run(&st, m, c, e);
    if (rc == 0)
        rc = meta_u64(&st, "epoch", &epoch, e) < 0 ||
                     meta_u64(&st, "iterations", &iterations, e) < 0 ||
                     meta_u64(&st, "dropout_rng", &dropout, e) < 0 ||
                     meta_u64(&st, "shuffle_rng", &shuffle, e) < 0
                 ? -1
                 : 0;
    if (rc == 0 && (epoch > 1000000000 || iterations > (uint64_t)1 << 62))
        rc = sl_errorf(
            e, "%s: the checkpoint's epoch %" PRIu64 " or step count %" PRIu64 " is out of range",
            path, epoch, iterations);
    if (rc == 0 && (n = expect_all(&st, m, cs, nc, names, t, e)) < 0)
        rc = -1;
    if (rc == 0)
        rc = restore(&st, names, t, n, e);
    if (rc == 0) {
        m->opt.iterations = (long long)iterations;
        m->rng.state = dropout;
        c->epoch = (int)epoch;
        c->shuffle = shuffle;
    }
    sl_free(names);
    sl_st_free(&st);
    return rc;
}
