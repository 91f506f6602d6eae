/* summary.c: model.summary() as tf.keras 2.x prints it.
 *
 *   Model: "sequential"
 *   _________________________________________________________________
 *   Layer (type)                 Output Shape              Param #
 *   =================================================================
 *   dense (Dense)                (None, 64)                896
 *   _________________________________________________________________
 *   dense_1 (Dense)              (None, 1)                 65
 *   =================================================================
 *   Total params: 961
 *   Trainable params: 961
 *   Non-trainable params: 0
 *   _________________________________________________________________
 *
 * Columns end at 45%, 85% and 100% of the line (65 characters by default). A functional model
 * that is not a simple chain (a call with several inputs, a layer used twice, two calls at the
 * same depth) gets a fourth column, "Connected to", at 33/55/67/100% of 98 characters; functional
 * models list their InputLayers, whose output shape prints as a list: [(None, 2, 3)].
 *
 * A model used as a layer (a group of calls, model.h's SlGroup) is one row, as Keras shows it:
 * "encoder (Functional)", its output shape, and the parameters of all its layers.
 *
 * A field longer than its column is never cut: it wraps onto further lines as tf.keras 2.7+'s
 * print_row wraps it, after the first "),", "},", "]," or "'," that fits, else at the column's
 * edge:
 *   lstm (LSTM)                  [(None, 2, 1),            20
 *                                 (None, 1),
 *                                 (None, 1)]
 */
#include <stdio.h>
#include <string.h>

#include "train.h"

typedef struct Cols {
    int n, pos[4];
    FILE *out;
} Cols;

/* The characters column i shows on a line: up to the next column less one space between them,
 * the last column up to the end of the line (at least one, so a wrapped field always moves on). */
static int col_width(const Cols *c, int i)
{
    int w = c->pos[i] - (i ? c->pos[i - 1] : 0) - (i < c->n - 1);
    return w > 1 ? w : 1;
}

/* How much of `text` goes on this line of a column w wide: all of it, unless the field wraps;
 * then at most w characters, ending after the first "),", "},", "]," or "'," among them (tf.keras
 * 2.7's print_row). */
static int line_part(const char *text, int w, int wraps)
{
    static const char *const ends[] = {"),", "},", "],", "',"};
    int n = (int)strlen(text);
    if (!wraps)
        return n;
    int cut = n < w ? n : w, best = cut;
    for (int k = 0; k < 4; k++)
        for (int i = 0; i + 2 <= cut; i++)
            if (text[i] == ends[k][0] && text[i + 1] == ends[k][1]) {
                best = i + 2 < best ? i + 2 : best;
                break;
            }
    return best;
}

static int spaces(FILE *out, int n)
{
    for (int i = 0; i < n; i++)
        fputc(' ', out);
    return n > 0 ? n : 0;
}

/* One row of the table: each field at its column's start; a field longer than its column wraps
 * onto further lines (the other columns blank there), each line padded to the full width. */
static void row(const Cols *c, const char *const *fields)
{
    const char *left[4];
    int wraps[4], more;
    for (int i = 0; i < c->n; i++) {
        left[i] = fields[i];
        wraps[i] = (int)strlen(fields[i]) > col_width(c, i);
    }
    do {
        int len = 0;
        more = 0;
        for (int i = 0; i < c->n; i++) {
            int start = i ? c->pos[i - 1] : 0;
            len += spaces(c->out, start - len);
            if (i > 0 && len > start) /* only where a column has no room at all */
                len += spaces(c->out, 1);
            int k = line_part(left[i], col_width(c, i), wraps[i]);
            fprintf(c->out, "%.*s", k, left[i]);
            len += k;
            left[i] += k;
            more |= left[i][0] != '\0';
        }
        spaces(c->out, c->pos[c->n - 1] - len);
        fputc('\n', c->out);
    } while (more);
}

static void rule(const Cols *c, char ch, int width)
{
    for (int i = 0; i < width; i++)
        fputc(ch, c->out);
    fputc('\n', c->out);
}

/* Which calls lead to the outputs (and every input), and each call's depth counted from the outputs. */
static void relevant(const SlModel *m, int *depth)
{
    for (int n = 0; n < m->n_nodes; n++)
        depth[n] = -1;
    for (int k = 0; k < m->n_outputs; k++)
        depth[m->t[m->outputs[k]].node] = 0;
    for (int n = m->n_nodes - 1; n >= 0; n--)
        for (int k = 0; depth[n] >= 0 && k < m->nodes[n].sym.n_in; k++) {
            int p = m->t[m->nodes[n].in[k]].node;
            depth[p] = depth[p] > depth[n] + 1 ? depth[p] : depth[n] + 1;
        }
    int deepest = 0; /* an input no output uses is still the model's: listed among the inputs */
    for (int n = 0; n < m->n_nodes; n++)
        deepest = depth[n] > deepest ? depth[n] : deepest;
    for (int k = 0; k < m->n_inputs; k++)
        if (depth[m->t[m->inputs[k]].node] < 0)
            depth[m->t[m->inputs[k]].node] = deepest;
}

/* Is call n where its row stands? A call of a nested model stands for the whole model at the
 * call that makes the model's first output; its other calls have no row. */
static int row_call(const SlModel *m, int n)
{
    int g = m->nodes[n].group;
    return g < 0 || m->t[m->groups[g].out[0]].node == n;
}

/* The inputs a row takes: its call's, or its nested model's. */
static int row_inputs(const SlModel *m, int n)
{
    int g = m->nodes[n].group;
    return g < 0 ? m->nodes[n].sym.n_in : m->groups[g].n_in;
}

/* Do rows i and j show the same thing: one layer, or one nested model? */
static int same_row(const SlModel *m, int i, int j)
{
    int gi = m->nodes[i].group, gj = m->nodes[j].group;
    if (gi >= 0 || gj >= 0)
        return gi >= 0 && gj >= 0 && !strcmp(m->groups[gi].name, m->groups[gj].name);
    return m->nodes[i].layer == m->nodes[j].layer;
}

static int is_chain(const SlModel *m, const int *depth)
{
    if (m->sequential)
        return 1;
    int at_depth[SL_MAX_NODES] = {0};
    for (int n = 0; n < m->n_nodes; n++) {
        if (depth[n] < 0 || !row_call(m, n))
            continue;
        if (++at_depth[depth[n]] > 1 || row_inputs(m, n) > 1)
            return 0;
        for (int j = 0; j < n; j++) /* a layer used twice */
            if (depth[j] >= 0 && row_call(m, j) && same_row(m, j, n))
                return 0;
    }
    return 1;
}

static void shapes_text(const SlNode *nd, int as_list, char *buf, size_t n)
{
    size_t u = 0;
    int list = as_list || nd->sym.n_out > 1;
    if (list)
        u += (size_t)snprintf(buf, n, "[");
    for (int k = 0; k < nd->sym.n_out && u < n; k++) {
        char s[96];
        u += (size_t)snprintf(buf + u, n - u, "%s%s", k ? ", " : "",
                              sl_shape_str(&nd->sym.out[k], s, sizeof s));
    }
    if (list && u < n)
        snprintf(buf + u, n - u, "]");
}

/* A nested model's output shapes, as one call's: "(None, 16)", or a list for several. */
static void group_shape(const SlModel *m, const SlGroup *g, char *buf, size_t n)
{
    size_t u = (size_t)snprintf(buf, n, "%s", g->n_out > 1 ? "[" : "");
    for (int k = 0; k < g->n_out && u < n; k++) {
        char s[96];
        u += (size_t)snprintf(buf + u, n - u, "%s%s", k ? ", " : "",
                              sl_shape_str(&m->t[g->out[k]].shape, s, sizeof s));
    }
    if (g->n_out > 1 && u < n)
        snprintf(buf + u, n - u, "]");
}

/* The parameters of a nested model: of every layer its calls use, each once. */
static size_t group_params(const SlModel *m, int g)
{
    const SlLayer *seen[SL_MAX_NODES];
    int n_seen = 0;
    size_t total = 0;
    for (int i = 0; i < m->n_nodes; i++) {
        const SlLayer *l = m->nodes[i].layer;
        int dup = 0;
        for (int j = 0; j < n_seen; j++)
            dup |= seen[j] == l;
        if (m->nodes[i].group != g || dup)
            continue;
        seen[n_seen++] = l;
        total += sl_layer_count_params(l);
    }
    return total;
}

/* A layer's Output Shape: its call's shapes, or "multiple" when its calls differ. */
static void layer_shape(const SlModel *m, const int *depth, const SlLayer *l, char *buf, size_t n)
{
    char first[512] = "", other[512] = "";
    int is_input = sl_layer_is(l, SL_KIND_INPUT);
    for (int i = 0; i < m->n_nodes; i++) {
        if (depth[i] < 0 || m->nodes[i].layer != l || m->nodes[i].group >= 0)
            continue;
        shapes_text(&m->nodes[i], is_input, first[0] ? other : first, sizeof first);
        if (first[0] && other[0] && strcmp(first, other)) {
            snprintf(buf, n, "multiple");
            return;
        }
        other[0] = '\0';
    }
    snprintf(buf, n, "%s", first);
}

/* Input k of l's calls, all inputs of its first call first, as "input_1[0][0]": the producing
 * layer, which of its calls, which of that call's outputs. 0 when the calls have fewer inputs. */
/* Where tensor id comes from, as "dense[0][0]": its layer (or nested model), which call, which
 * of that call's outputs. */
static void producer(const SlModel *m, const int *depth, int id, char *buf, size_t n)
{
    const SlEdge *t = &m->t[id];
    int g = m->nodes[t->node].group;
    if (g >= 0) {
        int index = 0;
        for (int k = 0; k < m->groups[g].n_out; k++)
            index = m->groups[g].out[k] == id ? k : index;
        snprintf(buf, n, "%s[0][%d]", m->groups[g].name, index);
        return;
    }
    const SlLayer *p = m->nodes[t->node].layer;
    int call = 0;
    for (int j = 0; j < t->node; j++)
        call += depth[j] >= 0 && m->nodes[j].layer == p && m->nodes[j].group < 0;
    snprintf(buf, n, "%s[%d][%d]", p->name, call, t->index);
}

/* Input k of row n (all inputs of its layer's first call first) into buf; 0 when there are fewer. */
static int connection(const SlModel *m, const int *depth, int row, int k, char *buf, size_t n)
{
    int g = m->nodes[row].group;
    if (g >= 0) {
        if (k >= m->groups[g].n_in)
            return 0;
        producer(m, depth, m->groups[g].in[k], buf, n);
        return 1;
    }
    const SlLayer *l = m->nodes[row].layer;
    for (int i = 0; i < m->n_nodes; i++) {
        if (depth[i] < 0 || m->nodes[i].layer != l || m->nodes[i].group >= 0)
            continue;
        if (k >= m->nodes[i].sym.n_in) {
            k -= m->nodes[i].sym.n_in;
            continue;
        }
        producer(m, depth, m->nodes[i].in[k], buf, n);
        return 1;
    }
    return 0;
}

static void layer_rows(const SlModel *m, const int *depth, const Cols *c, int chain)
{
    int seen[SL_MAX_NODES];
    int n_seen = 0, n_rows = 0, total_rows = 0;
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < m->n_nodes; i++) {
            const SlLayer *l = m->nodes[i].layer;
            int dup = 0, g = m->nodes[i].group;
            if (depth[i] < 0 || !row_call(m, i) || (m->sequential && m->nodes[i].sym.n_in == 0))
                continue;
            for (int j = 0; j < n_seen; j++)
                dup |= same_row(m, seen[j], i);
            if (dup)
                continue;
            seen[n_seen++] = i;
            if (pass == 0) {
                total_rows++;
                continue;
            }
            char name[160], shape[512], params[32], conn[160] = "";
            if (g >= 0) {
                snprintf(name, sizeof name, "%s (%s)", m->groups[g].name,
                         m->groups[g].sequential ? "Sequential" : "Functional");
                group_shape(m, &m->groups[g], shape, sizeof shape);
                snprintf(params, sizeof params, "%zu", group_params(m, g));
            } else {
                snprintf(name, sizeof name, "%s (%s)", l->name, l->type->name);
                layer_shape(m, depth, l, shape, sizeof shape);
                snprintf(params, sizeof params, "%zu", sl_layer_count_params(l));
            }
            if (!chain)
                connection(m, depth, i, 0, conn, sizeof conn);
            const char *f[4] = {name, shape, params, conn};
            row(c, f);
            for (int k = 1; !chain && connection(m, depth, i, k, conn, sizeof conn); k++) {
                const char *more[4] = {"", "", "", conn};
                row(c, more);
            }
            rule(c, ++n_rows == total_rows ? '=' : '_', c->pos[c->n - 1]);
        }
        n_seen = 0;
    }
    if (total_rows == 0)
        rule(c, '=', c->pos[c->n - 1]);
}

/* 23242 -> "23,242" */
static void commas(size_t v, char *buf, size_t n)
{
    char digits[32];
    int len = snprintf(digits, sizeof digits, "%zu", v), u = 0;
    for (int i = 0; i < len && u + 2 < (int)n; i++) {
        if (i && (len - i) % 3 == 0)
            buf[u++] = ',';
        buf[u++] = digits[i];
    }
    buf[u] = '\0';
}

int sl_model_summary(const SlModel *m, int line_length, FILE *out, SlError *e)
{
    int depth[SL_MAX_NODES];
    if (m->n_outputs == 0)
        return sl_errorf(e,
                         "model '%s' has not been built yet, so it has no shapes to show: give "
                         "its first layer an input shape, e.g. input_shape=(timesteps, "
                         "features)",
                         m->name);
    relevant(m, depth);
    int chain = is_chain(m, depth);
    Cols c = {chain ? 3 : 4, {0}, out};
    int width = line_length > 0 ? line_length : (chain ? 65 : 98);
    static const double seq_pos[3] = {.45, .85, 1.}, fun_pos[4] = {.33, .55, .67, 1.};
    for (int i = 0; i < c.n; i++)
        c.pos[i] = (int)(width * (chain ? seq_pos[i] : fun_pos[i]));
    fprintf(out, "Model: \"%s\"\n", m->name);
    rule(&c, '_', width);
    const char *head[4] = {"Layer (type)", "Output Shape", "Param #", "Connected to"};
    row(&c, head);
    rule(&c, '=', width);
    layer_rows(m, depth, &c, chain);
    size_t total = 0, trainable = 0;
    for (int i = 0; i < m->n_params; i++) {
        size_t n = sl_shape_count(&m->params[i]->shape);
        total += n;
        trainable += m->params[i]->trainable ? n : 0;
    }
    char a[32], b[32], d[32];
    commas(total, a, sizeof a);
    commas(trainable, b, sizeof b);
    commas(total - trainable, d, sizeof d);
    fprintf(out, "Total params: %s\nTrainable params: %s\nNon-trainable params: %s\n", a, b, d);
    rule(&c, '_', width);
    return 0;
}
