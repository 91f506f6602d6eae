/* graph_layout.c: a layered drawing of a DAG (see graph_layout.h for the passes).
 *
 * Vocabulary: a layer is a row of the whole graph; when the graph wraps, layer l is row
 * l - column_start of its column, and the rows of all columns share their heights, so the gaps
 * between rows (bands; band r is the one above row r, band `rows` the one below the last) run
 * across the whole drawing. An item is what a row holds: a node, or a lane where an edge that skips
 * rows passes. Two items of neighbouring rows of one column joined by an edge make a link.
 */
#include "graph_layout.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"

enum {
    ORDER_SWEEPS = 12,
    PLACE_SWEEPS = 16,
    CHAIN_SWEEPS = 8,
    CHAIN = 64, /* how much more a chain link (the only edge out of one item and the only edge
                   into the other) pulls its ends into line than a link between two nodes */
    SNAP = 48,  /* ends of an ordinary link nearer than this along x are put in line if they can */
    TRACK_TOP = 5,     /* a band's first track below its top */
    TRACK_BOTTOM = 11, /* its last track above its bottom: an arrow head and a little line */
    NEAR = 3           /* two vertical lines nearer than this along x would read as one */
};
static const double LANE_PULL = 0.1; /* a link to a lane: lanes bend around nodes, not nodes */

typedef struct Item {
    int node;       /* >= 0: that node; -1: a lane of edge `edge` */
    int edge;       /* a lane's edge */
    int layer;      /* the graph's row */
    int pos;        /* its place in its row, 0 from the left */
    int wrap_in;    /* edges that come in from an earlier column (they pull it left) */
    int wrap_out;   /* edges that leave for a later column (they pull it right) */
    int ups, downs; /* its links to the rows above and below, wrapping edges included */
    double left;    /* x of its left edge within its column */
} Item;

typedef struct Link {
    int up, down; /* items, `up` in the row above `down`, in one column */
} Link;

/* A sideways run in a band. Runs that leave one point (a node's bottom, a lane, a gutter lane)
 * share a key and so a track: they read as one line that branches. A line comes down into the
 * band to the run at `entry` (NAN: from below, a gutter) and leaves it downwards at `drop`. */
typedef struct Run {
    int band, key;
    double x0, x1;
    int track;
    double entry, drop;
    int placed;
} Run;

typedef struct Work {
    int n_layers, rows, n_columns;
    int *layer;     /* [n_nodes] */
    int *col_start; /* [n_layers + 1]: the first layer of each column, then n_layers */
    int *col_of;    /* [n_layers] */
    Item *items;    /* nodes first (item i is node i), then lanes */
    int n_items;
    int *row_first;  /* [n_layers + 1]: the items of layer l are row_items[row_first[l] ..] */
    int *row_items;  /* [n_items], in order of pos after ordering */
    int *lane_first; /* [n_edges]: edge e's first lane (its lanes are consecutive), or -1 */
    int *n_lanes;    /* [n_edges] */
    int *wraps;      /* [n_edges]: 1 when the edge goes to a later column */
    Link *links;
    int n_links;
    int *link_first;  /* [n_layers + 1]: links by the layer of their lower item */
    int *best;        /* [n_items]: the best order found */
    double *key, *wt; /* [n_items] */
    int *count;       /* [n_items] */
    double *in_x;     /* [n_edges]: where each edge ends on its target's top */
    double *col_w;    /* [n_layers]: each column's width */
    int *tracks;      /* [rows + 1]: tracks in each band */
    int *gutter;      /* [n_nodes]: a wrapping source's lane in its gutter, from 0 */
    Run *runs;        /* the runs, then their groups (one per band and key) */
    Run *parts;       /* the runs, kept when they become groups */
    int n_runs, n_parts;
    double *band_y, *band_h; /* [rows + 1] */
    double *row_y, *row_h;   /* [rows] */
} Work;

static void *alloc_n(size_t n, size_t size, int *failed)
{
    void *p = sl_alloc_zero(n ? n : 1, size);
    *failed |= p == NULL;
    return p;
}

static void free_pass(Work *w);

/* Everything: what one pass made, then what every pass shares. */
static void work_free(Work *w)
{
    free_pass(w);
    void *all[] = {w->layer, w->col_start,  w->col_of, w->row_first, w->lane_first, w->n_lanes,
                   w->wraps, w->link_first, w->in_x,   w->gutter,    w->col_w};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        sl_free(all[i]);
    memset(w, 0, sizeof *w);
}

int sl_graph_init(SlGraph *g, int n_nodes, int n_edges, SlError *e)
{
    memset(g, 0, sizeof *g);
    g->nodes = sl_alloc_zero(n_nodes > 0 ? (size_t)n_nodes : 1, sizeof *g->nodes);
    g->edges = sl_alloc_zero(n_edges > 0 ? (size_t)n_edges : 1, sizeof *g->edges);
    if (!g->nodes || !g->edges) {
        sl_graph_free(g);
        return sl_errorf(e, "out of memory laying out a graph of %d nodes", n_nodes);
    }
    g->n_nodes = n_nodes, g->n_edges = n_edges;
    g->style =
        (SlGlStyle){.node_gap = 20, .lane_gap = 14, .band_min = 14, .track_gap = 6, .port_gap = 14};
    return 0;
}

void sl_graph_free(SlGraph *g)
{
    sl_free(g->nodes);
    sl_free(g->edges);
    sl_free(g->column_x);
    sl_free(g->px);
    sl_free(g->py);
    memset(g, 0, sizeof *g);
}

/* ---- layers ---- */

/* Each node one below its lowest predecessor, found in a topological order (Kahn's); then a
 * source with consumers moves down to just above the first of them. Returns the number of layers,
 * or -1 when the edges make a cycle or name no node. */
static int assign_layers(const SlGraph *g, int *layer, SlError *e)
{
    int n = g->n_nodes, done = 0, failed = 0;
    int *indeg = alloc_n((size_t)n, sizeof *indeg, &failed);
    int *queue = alloc_n((size_t)n, sizeof *queue, &failed);
    if (failed) {
        sl_free(indeg), sl_free(queue);
        return sl_errorf(e, "out of memory laying out a graph of %d nodes", n);
    }
    for (int k = 0; k < g->n_edges; k++) {
        const SlGlEdge *ed = &g->edges[k];
        if (ed->from < 0 || ed->from >= n || ed->to < 0 || ed->to >= n || ed->from == ed->to) {
            sl_free(indeg), sl_free(queue);
            return sl_errorf(e, "graph edge %d joins %d to %d, not two nodes of %d", k, ed->from,
                             ed->to, n);
        }
        indeg[ed->to]++;
    }
    for (int v = 0; v < n; v++)
        if (!indeg[v])
            queue[done++] = v, layer[v] = 0;
    for (int head = 0; head < done; head++) /* edges are few: scanning them all is fine */
        for (int k = 0; k < g->n_edges; k++) {
            const SlGlEdge *ed = &g->edges[k];
            if (ed->from != queue[head])
                continue;
            int l = layer[ed->from] + 1;
            layer[ed->to] = l > layer[ed->to] ? l : layer[ed->to];
            if (--indeg[ed->to] == 0)
                queue[done++] = ed->to;
        }
    sl_free(indeg), sl_free(queue);
    if (done < n)
        return sl_errorf(e, "the graph has a cycle: %d of its %d nodes follow one another",
                         n - done, n);
    int layers = 0;
    for (int v = 0; v < n; v++) {
        int first = -1; /* a source: the layer of its first consumer */
        for (int k = 0; k < g->n_edges; k++) {
            if (g->edges[k].to == v)
                first = -2;
            else if (g->edges[k].from == v && first != -2)
                first = first < 0 || layer[g->edges[k].to] < first ? layer[g->edges[k].to] : first;
        }
        if (first > 0)
            layer[v] = first - 1;
    }
    for (int v = 0; v < n; v++)
        layers = layer[v] + 1 > layers ? layer[v] + 1 : layers;
    return layers;
}

/* ---- columns ---- */

/* Edges that cross a cut above layer `cut`. */
static int cut_crossings(const SlGraph *g, const int *layer, int cut)
{
    int n = 0;
    for (int k = 0; k < g->n_edges; k++)
        n += layer[g->edges[k].from] < cut && cut <= layer[g->edges[k].to];
    return n;
}

/* As few columns as `rows` layers a column allow; each cut up to a quarter of a column early
 * (while the rest still fits the columns left), where the fewest edges cross (the latest such
 * place on a tie). */
static void choose_columns(const SlGraph *g, Work *w, int rows)
{
    int D = w->n_layers, c = 0, slack = rows / 4, columns = (D + rows - 1) / rows;
    for (int s = 0; s < D; c++) {
        w->col_start[c] = s;
        int end = D, lo = s + rows - slack, rest = D - rows * (columns - c - 1);
        lo = lo > rest ? lo : rest;
        if (D - s > rows) {
            end = s + rows;
            for (int cut = s + rows - 1; cut >= lo && cut > s; cut--)
                if (cut_crossings(g, w->layer, cut) < cut_crossings(g, w->layer, end))
                    end = cut;
        }
        for (int l = s; l < end; l++)
            w->col_of[l] = c;
        s = end;
    }
    w->col_start[c] = D;
    w->n_columns = c;
    w->rows = 0;
    for (int k = 0; k < c; k++)
        w->rows = w->col_start[k + 1] - w->col_start[k] > w->rows
                      ? w->col_start[k + 1] - w->col_start[k]
                      : w->rows;
}

static int row_of(const Work *w, int layer)
{
    return layer - w->col_start[w->col_of[layer]];
}

/* The layers edge k passes without a node, in its target's column: all those between its ends
 * when both are in one column, else those of the target's column above the target. */
static void lane_span(const SlGraph *g, const Work *w, int k, int *first, int *n)
{
    int lu = w->layer[g->edges[k].from], lv = w->layer[g->edges[k].to];
    int same = w->col_of[lu] == w->col_of[lv];
    *first = same ? lu + 1 : w->col_start[w->col_of[lv]];
    *n = lv - *first;
}

/* ---- items, rows and links ---- */

static int build_items(const SlGraph *g, Work *w)
{
    int n = g->n_nodes, lanes = 0, failed = 0, D = w->n_layers;
    for (int k = 0; k < g->n_edges; k++) {
        int f, m;
        lane_span(g, w, k, &f, &m);
        w->lane_first[k] = m > 0 ? n + lanes : -1;
        w->n_lanes[k] = m;
        w->wraps[k] = w->col_of[w->layer[g->edges[k].from]] != w->col_of[w->layer[g->edges[k].to]];
        lanes += m;
    }
    w->n_items = n + lanes;
    w->items = alloc_n((size_t)w->n_items, sizeof *w->items, &failed);
    w->row_items = alloc_n((size_t)w->n_items, sizeof *w->row_items, &failed);
    w->best = alloc_n((size_t)w->n_items, sizeof *w->best, &failed);
    w->key = alloc_n((size_t)w->n_items, sizeof *w->key, &failed);
    w->wt = alloc_n((size_t)w->n_items, sizeof *w->wt, &failed);
    w->count = alloc_n((size_t)w->n_items, sizeof *w->count, &failed);
    if (failed)
        return -1;
    for (int v = 0; v < n; v++)
        w->items[v] = (Item){.node = v, .edge = -1, .layer = w->layer[v]};
    for (int k = 0; k < g->n_edges; k++) {
        int f, m;
        lane_span(g, w, k, &f, &m);
        for (int i = 0; i < m; i++)
            w->items[w->lane_first[k] + i] = (Item){.node = -1, .edge = k, .layer = f + i};
    }
    /* rows: lanes first, so that a skip starts on the left of what it skips, then nodes */
    int *fill = w->count;
    memset(w->row_first, 0, (size_t)(D + 1) * sizeof *w->row_first);
    for (int i = 0; i < w->n_items; i++)
        w->row_first[w->items[i].layer + 1]++;
    for (int l = 0; l < D; l++)
        w->row_first[l + 1] += w->row_first[l];
    memset(fill, 0, (size_t)w->n_items * sizeof *fill);
    for (int pass = 0; pass < 2; pass++)
        for (int i = pass ? 0 : n; i < (pass ? n : w->n_items); i++) {
            Item *it = &w->items[i];
            it->pos = fill[it->layer]++;
            w->row_items[w->row_first[it->layer] + it->pos] = i;
        }
    return 0;
}

/* The stations of edge k in order (its source, its lanes, its target) as items; a wrapping edge's
 * source is not followed by its first lane in the same column. */
static int station(const SlGraph *g, const Work *w, int k, int i)
{
    if (i == 0)
        return g->edges[k].from;
    return i <= w->n_lanes[k] ? w->lane_first[k] + i - 1 : g->edges[k].to;
}

/* Visit the links of edge k (two stations of one column, one row apart), as fn(w, up, down, ctx). */
static void each_link(const SlGraph *g, Work *w, int k, void (*fn)(Work *, int, int, void *),
                      void *ctx)
{
    for (int i = w->wraps[k] ? 1 : 0; i <= w->n_lanes[k]; i++)
        fn(w, station(g, w, k, i), station(g, w, k, i + 1), ctx);
}

static void count_link(Work *w, int up, int down, void *ctx)
{
    (void)ctx;
    w->link_first[w->items[down].layer + 1]++;
    w->items[up].downs++, w->items[down].ups++;
}

static void put_link(Work *w, int up, int down, void *ctx)
{
    int *at = ctx;
    w->links[at[w->items[down].layer]++] = (Link){up, down};
}

/* The links bucketed by the layer of their lower item, and who wraps in and out. */
static int build_links(const SlGraph *g, Work *w)
{
    int D = w->n_layers, failed = 0;
    for (int i = 0; i < w->n_items; i++)
        w->items[i].wrap_in = w->items[i].wrap_out = w->items[i].ups = w->items[i].downs = 0;
    memset(w->link_first, 0, (size_t)(D + 1) * sizeof *w->link_first);
    for (int k = 0; k < g->n_edges; k++) {
        if (w->wraps[k]) {
            w->items[station(g, w, k, 0)].wrap_out++, w->items[station(g, w, k, 0)].downs++;
            w->items[station(g, w, k, 1)].wrap_in++, w->items[station(g, w, k, 1)].ups++;
        }
        each_link(g, w, k, count_link, NULL);
    }
    for (int l = 0; l < D; l++)
        w->link_first[l + 1] += w->link_first[l];
    w->n_links = w->link_first[D];
    int *at = alloc_n((size_t)D, sizeof *at, &failed);
    w->links = alloc_n((size_t)w->n_links, sizeof *w->links, &failed);
    if (failed) {
        sl_free(at);
        return -1;
    }
    memcpy(at, w->link_first, (size_t)D * sizeof *at);
    for (int k = 0; k < g->n_edges; k++)
        each_link(g, w, k, put_link, at);
    sl_free(at);
    return 0;
}

/* ---- order within rows ---- */

/* Row l sorted by key, equal keys keeping their order (rows are short: insertion sort). */
static void sort_row(Work *w, int l)
{
    int *r = w->row_items + w->row_first[l], n = w->row_first[l + 1] - w->row_first[l];
    for (int i = 1; i < n; i++) {
        int it = r[i], j = i - 1;
        for (; j >= 0 && w->key[r[j]] > w->key[it]; j--)
            r[j + 1] = r[j];
        r[j + 1] = it;
    }
    for (int i = 0; i < n; i++)
        w->items[r[i]].pos = i;
}

/* Order row l by the mean place of each item's neighbours in the row above (down = 1) or below:
 * an item without any keeps its place; one with an edge coming in from an earlier column goes
 * first (the edge arrives from the left), one with an edge leaving for a later column goes last. */
static void order_row(Work *w, int l, int down)
{
    int first = w->row_first[l], n = w->row_first[l + 1] - first;
    for (int i = 0; i < n; i++) {
        int it = w->row_items[first + i];
        w->key[it] = 0, w->count[it] = 0;
    }
    int bucket = down ? l : l + 1;
    if (bucket < w->n_layers)
        for (int j = w->link_first[bucket]; j < w->link_first[bucket + 1]; j++) {
            const Link *k = &w->links[j];
            int mine = down ? k->down : k->up, other = down ? k->up : k->down;
            w->key[mine] += w->items[other].pos;
            w->count[mine]++;
        }
    for (int i = 0; i < n; i++) {
        int it = w->row_items[first + i];
        const Item *x = &w->items[it];
        if (down && x->wrap_in)
            w->key[it] = -1;
        else if (!down && x->wrap_out)
            w->key[it] = n + 1;
        else
            w->key[it] = w->count[it] ? w->key[it] / w->count[it] : x->pos;
    }
    sort_row(w, l);
}

/* Pairs of links between rows l - 1 and l that cross. */
static long row_crossings(const Work *w, int l)
{
    long n = 0;
    for (int i = w->link_first[l]; i < w->link_first[l + 1]; i++)
        for (int j = i + 1; j < w->link_first[l + 1]; j++) {
            const Link *a = &w->links[i], *b = &w->links[j];
            int du = w->items[a->up].pos - w->items[b->up].pos;
            int dd = w->items[a->down].pos - w->items[b->down].pos;
            n += (du < 0 && dd > 0) || (du > 0 && dd < 0);
        }
    return n;
}

static long crossings(const Work *w)
{
    long n = 0;
    for (int l = 1; l < w->n_layers; l++)
        n += row_crossings(w, l);
    return n;
}

/* Barycentre sweeps down and up; the order with the fewest crossings wins. */
static void order_rows(Work *w)
{
    int D = w->n_layers;
    long best = crossings(w);
    for (int i = 0; i < w->n_items; i++)
        w->best[i] = w->items[i].pos;
    for (int s = 0; s < ORDER_SWEEPS && best > 0; s++) {
        for (int k = 0; k < D; k++)
            order_row(w, s % 2 ? D - 1 - k : k, s % 2 == 0);
        long c = crossings(w);
        if (c < best) {
            best = c;
            for (int i = 0; i < w->n_items; i++)
                w->best[i] = w->items[i].pos;
        }
    }
    for (int i = 0; i < w->n_items; i++) {
        Item *it = &w->items[i];
        it->pos = w->best[i];
        w->row_items[w->row_first[it->layer] + it->pos] = i;
    }
}

/* ---- x within columns ---- */

static double item_w(const SlGraph *g, const Item *it)
{
    return it->node >= 0 ? g->nodes[it->node].w : 0;
}

/* Where an item's edges pass: a node's middle of the part edges meet, a lane itself. */
static double item_anchor(const SlGraph *g, const Item *it)
{
    return it->node >= 0 ? g->nodes[it->node].ax + g->nodes[it->node].aw / 2 : 0;
}

static double anchor_x(const SlGraph *g, const Work *w, int i)
{
    return w->items[i].left + item_anchor(g, &w->items[i]);
}

static int is_chain(const Work *w, const Link *k)
{
    return w->items[k->up].downs == 1 && w->items[k->down].ups == 1;
}

static double link_weight(const Work *w, const Link *k)
{
    if (is_chain(w, k))
        return CHAIN;
    return w->items[k->up].node < 0 || w->items[k->down].node < 0 ? LANE_PULL : 1;
}

/* The least distance between the left edges of neighbours a and b (a left of b) beyond a's width. */
static double spacing(const SlGraph *g, const Item *a, const Item *b)
{
    return a->node >= 0 && b->node >= 0 ? g->style.node_gap : g->style.lane_gap;
}

/* Place row l, minimizing the sum over its links of weight * (the distance between the anchors
 * of their ends)^2 with the other rows held: each item wishes its anchor at the weighted mean of
 * its neighbours', with the weight of its links; it keeps its order and distances (z_i = left_i -
 * o_i, o_i the row packed tight, may not fall from left to right); the best z is the weighted
 * isotonic regression of the wished z: pool adjacent violators. An item without links stays. */
static void place_row(const SlGraph *g, Work *w, int l, double *sum, double *weight, int *len)
{
    int first = w->row_first[l], n = w->row_first[l + 1] - first, blocks = 0;
    const int *r = w->row_items + first;
    double *wsum = w->key, *wt = w->wt;
    for (int i = 0; i < n; i++)
        wsum[r[i]] = 0, wt[r[i]] = 0;
    for (int bucket = l; bucket <= l + 1 && bucket < w->n_layers; bucket++)
        for (int j = w->link_first[bucket]; j < w->link_first[bucket + 1]; j++) {
            const Link *k = &w->links[j];
            int mine = bucket == l ? k->down : k->up, other = bucket == l ? k->up : k->down;
            double lw = link_weight(w, k);
            wsum[mine] += lw * anchor_x(g, w, other);
            wt[mine] += lw;
        }
    double o = 0;
    for (int i = 0; i < n; i++) {
        const Item *it = &w->items[r[i]];
        if (i > 0)
            o += item_w(g, &w->items[r[i - 1]]) + spacing(g, &w->items[r[i - 1]], it);
        double wi = wt[r[i]] > 0 ? wt[r[i]] : 1e-3;
        double wish = wt[r[i]] > 0 ? wsum[r[i]] / wt[r[i]] - item_anchor(g, it) : it->left;
        sum[blocks] = wi * (wish - o), weight[blocks] = wi, len[blocks++] = 1;
        while (blocks > 1 &&
               sum[blocks - 2] / weight[blocks - 2] > sum[blocks - 1] / weight[blocks - 1]) {
            sum[blocks - 2] += sum[blocks - 1], weight[blocks - 2] += weight[blocks - 1];
            len[blocks - 2] += len[blocks - 1];
            blocks--;
        }
        wsum[r[i]] = o; /* keep o_i */
    }
    for (int b = 0, i = 0; b < blocks; b++)
        for (int k = 0; k < len[b]; k++, i++)
            w->items[r[i]].left = sum[b] / weight[b] + wsum[r[i]];
}

/* ---- chains in line ---- */

/* Where item i's left edge may go without passing its neighbours in its row. */
static void room(const SlGraph *g, const Work *w, int i, double *lo, double *hi)
{
    const Item *it = &w->items[i];
    int first = w->row_first[it->layer], n = w->row_first[it->layer + 1] - first;
    *lo = -INFINITY, *hi = INFINITY;
    if (it->pos > 0) {
        const Item *p = &w->items[w->row_items[first + it->pos - 1]];
        *lo = p->left + item_w(g, p) + spacing(g, p, it);
    }
    if (it->pos + 1 < n) {
        const Item *q = &w->items[w->row_items[first + it->pos + 1]];
        *hi = q->left - spacing(g, it, q) - item_w(g, it);
    }
}

/* Put every item of the chain that starts at `head` (next[] follows its chain links) with its
 * anchor at x, if each has the room; returns 1 when it did. */
static int move_chain(const SlGraph *g, Work *w, const int *next, int head, double x)
{
    for (int i = head; i >= 0; i = next[i]) {
        double lo, hi, left = x - item_anchor(g, &w->items[i]);
        room(g, w, i, &lo, &hi);
        if (left < lo - 1e-6 || left > hi + 1e-6)
            return 0;
    }
    for (int i = head; i >= 0; i = next[i])
        w->items[i].left = x - item_anchor(g, &w->items[i]);
    return 1;
}

static int chain_head(const int *prev, int i)
{
    while (prev[i] >= 0)
        i = prev[i];
    return i;
}

/* Where chain h may put its anchor without any member passing a neighbour (*lo .. *hi), and where
 * its ordinary links pull it: the mean of their other ends' anchors, by weight (*weight 0: none). */
static double chain_pull(const SlGraph *g, const Work *w, const int *next, int h, double *lo,
                         double *hi, double *weight)
{
    double sum = 0;
    *lo = -INFINITY, *hi = INFINITY, *weight = 0;
    for (int i = h; i >= 0; i = next[i]) {
        double a = item_anchor(g, &w->items[i]), l, r;
        room(g, w, i, &l, &r);
        *lo = fmax(*lo, l + a), *hi = fmin(*hi, r + a);
        int layer = w->items[i].layer;
        for (int b = layer; b <= layer + 1 && b < w->n_layers; b++)
            for (int j = w->link_first[b]; j < w->link_first[b + 1]; j++) {
                const Link *k = &w->links[j];
                int other = b == layer ? (k->down == i ? k->up : -1) : (k->up == i ? k->down : -1);
                if (other >= 0 && !is_chain(w, k)) {
                    sum += link_weight(w, k) * anchor_x(g, w, other);
                    *weight += link_weight(w, k);
                }
            }
    }
    return *weight > 0 ? sum / *weight : 0;
}

/* The row by row pull leaves chains bent a little where something pulls sideways at their ends,
 * and moves a long chain only slowly as a whole. So: make each chain straight (at its members'
 * mean anchor, or else at the first member's anchor that leaves every member room); move each
 * chain, single items too, whole towards where its ordinary links pull it, as far as its rows
 * leave room, a few times over; then put the two ends of an ordinary link between nodes in line
 * when they are near (a fork's branch under its node, a merge under its main input), moving the
 * lower chain, or else the upper one. */
static void straighten(const SlGraph *g, Work *w, int *next, int *prev)
{
    for (int i = 0; i < w->n_items; i++)
        next[i] = prev[i] = -1;
    for (int j = 0; j < w->n_links; j++)
        if (is_chain(w, &w->links[j]))
            next[w->links[j].up] = w->links[j].down, prev[w->links[j].down] = w->links[j].up;
    for (int h = 0; h < w->n_items; h++) {
        if (prev[h] >= 0 || next[h] < 0)
            continue;
        double mean = 0;
        int n = 0;
        for (int i = h; i >= 0; i = next[i], n++)
            mean += anchor_x(g, w, i);
        if (!move_chain(g, w, next, h, mean / n))
            for (int i = h; i >= 0 && !move_chain(g, w, next, h, anchor_x(g, w, i)); i = next[i])
                ;
    }
    for (int s = 0; s < CHAIN_SWEEPS; s++)
        for (int h = 0; h < w->n_items; h++) {
            double lo, hi, weight, x = chain_pull(g, w, next, h, &lo, &hi, &weight);
            if (prev[h] < 0 && weight > 0 && lo <= hi)
                move_chain(g, w, next, h, fmin(fmax(x, lo), hi));
        }
    for (int j = 0; j < w->n_links; j++) {
        const Link *k = &w->links[j];
        if (is_chain(w, k) || w->items[k->up].node < 0 || w->items[k->down].node < 0)
            continue;
        double xu = anchor_x(g, w, k->up), xd = anchor_x(g, w, k->down);
        if (fabs(xu - xd) > 0.5 && fabs(xu - xd) < SNAP &&
            !move_chain(g, w, next, chain_head(prev, k->down), xu))
            move_chain(g, w, next, chain_head(prev, k->up), xd);
    }
}

/* Rows packed from the left, then pulled towards their neighbours, down and up in turn; each
 * column moved to start at 0 and rounded to whole units. col_w gets the columns' widths. */
static int place_items(const SlGraph *g, Work *w)
{
    int failed = 0;
    double *sum = alloc_n((size_t)w->n_items, sizeof *sum, &failed);
    double *weight = alloc_n((size_t)w->n_items, sizeof *weight, &failed);
    int *len = alloc_n((size_t)w->n_items, sizeof *len, &failed);
    if (failed) {
        sl_free(sum), sl_free(weight), sl_free(len);
        return -1;
    }
    for (int l = 0; l < w->n_layers; l++) {
        double x = 0;
        for (int i = w->row_first[l]; i < w->row_first[l + 1]; i++) {
            Item *it = &w->items[w->row_items[i]];
            it->left = x;
            x += item_w(g, it) + g->style.node_gap;
        }
    }
    for (int s = 0; s < PLACE_SWEEPS; s++)
        for (int k = 0; k < w->n_layers; k++)
            place_row(g, w, s % 2 ? w->n_layers - 1 - k : k, sum, weight, len);
    straighten(g, w, len, w->count); /* (len is free again: it takes next[], count prev[]) */
    sl_free(sum), sl_free(weight), sl_free(len);
    for (int c = 0; c < w->n_columns; c++) {
        double lo = INFINITY, hi = 0;
        for (int i = w->row_first[w->col_start[c]]; i < w->row_first[w->col_start[c + 1]]; i++)
            lo = fmin(lo, w->items[w->row_items[i]].left);
        for (int i = w->row_first[w->col_start[c]]; i < w->row_first[w->col_start[c + 1]]; i++) {
            Item *it = &w->items[w->row_items[i]];
            it->left = round(it->left - lo);
            hi = fmax(hi, it->left + item_w(g, it));
        }
        w->col_w[c] = hi;
    }
    return 0;
}

/* ---- columns side by side, ports ---- */

static int column_of_item(const Work *w, int i)
{
    return w->col_of[w->items[i].layer];
}

static double item_x(const SlGraph *g, const Work *w, int i)
{
    return g->column_x[column_of_item(w, i)] + w->items[i].left;
}

/* Each source of edges to later columns gets a lane in the gutter right of its column, the
 * topmost source leftmost: then no source's run to the gutter crosses another's way up. The
 * columns are placed with their gutters between them. */
static void place_columns(SlGraph *g, Work *w)
{
    const double *col_w = w->col_w;
    int C = w->n_columns;
    double x = 0;
    for (int c = 0; c < C; c++) {
        int lanes = 0;
        for (int l = w->col_start[c]; l < w->col_start[c + 1]; l++)
            for (int i = w->row_first[l]; i < w->row_first[l + 1]; i++) {
                int it = w->row_items[i];
                if (w->items[it].node >= 0 && w->items[it].wrap_out)
                    w->gutter[w->items[it].node] = lanes++;
            }
        g->column_x[c] = (int)x;
        x += col_w[c];
        if (c + 1 < C)
            x += lanes ? (lanes + 1) * g->style.lane_gap : 2 * g->style.node_gap;
    }
    g->column_x[C] = (int)x;
    g->w = (int)x;
}

static double gutter_x(const SlGraph *g, const Work *w, int node)
{
    int c = column_of_item(w, node);
    return g->column_x[c] + w->col_w[c] + (w->gutter[node] + 1) * g->style.lane_gap;
}

static double out_x(const SlGraph *g, const Work *w, int node)
{
    return item_x(g, w, node) + item_anchor(g, &w->items[node]);
}

/* Where station i of edge k passes: its source's bottom, a lane, or its end on the target. */
static double station_x(const SlGraph *g, const Work *w, int k, int i)
{
    if (i == 0)
        return out_x(g, w, g->edges[k].from);
    if (i <= w->n_lanes[k])
        return item_x(g, w, w->lane_first[k] + i - 1);
    return w->in_x[k];
}

/* Where edge k arrives above its target: from the station before it, or from the far left along
 * the top band when it wraps straight into the target's row. */
static double arrival(const SlGraph *g, const Work *w, int k)
{
    if (w->wraps[k] && w->n_lanes[k] == 0)
        return -1e9 + k;
    return station_x(g, w, k, w->n_lanes[k]);
}

/* The ends of node v's edges on its top: one edge in the middle; several spread along it in the
 * order they arrive, each as near above where it comes from as the others leave room for. */
static void place_ports(const SlGraph *g, Work *w, int v, int *in, double *at)
{
    const SlGlNode *nd = &g->nodes[v];
    int n = 0;
    for (int k = 0; k < g->n_edges; k++)
        if (g->edges[k].to == v)
            in[n] = k, at[n++] = arrival(g, w, k);
    for (int i = 1; i < n; i++) /* by arrival, ties in edge order */
        for (int j = i; j > 0 && at[j - 1] > at[j]; j--) {
            double t = at[j];
            at[j] = at[j - 1], at[j - 1] = t;
            int s = in[j];
            in[j] = in[j - 1], in[j - 1] = s;
        }
    double x = item_x(g, w, v) + nd->ax, gap = g->style.port_gap;
    double pad = fmin(gap, nd->aw / 4.0), lo = x + pad, hi = x + nd->aw - pad;
    if (n == 1)
        at[0] = out_x(g, w, v);
    for (int i = 0; n > 1 && i < n; i++)
        at[i] = fmax(fmax(fmin(at[i], hi), lo), i ? at[i - 1] + gap : lo);
    if (n > 1 && at[n - 1] > hi) {
        at[n - 1] = hi;
        for (int i = n - 2; i >= 0; i--)
            at[i] = fmin(at[i], at[i + 1] - gap);
    }
    if (n > 1 && at[0] < lo) /* no room for the gaps: evenly */
        for (int i = 0; i < n; i++)
            at[i] = lo + (hi - lo) * i / (n - 1);
    for (int i = 0; i < n; i++)
        w->in_x[in[i]] = round(at[i]);
}

/* ---- the gaps between rows: sideways runs on tracks ---- */

static void add_run(Work *w, int band, int key, double entry, double xa, double xb)
{
    if (fabs(xa - xb) >= 0.5)
        w->runs[w->n_runs++] = (Run){band, key, fmin(xa, xb), fmax(xa, xb), 0, entry, xb, 0};
}

/* What station i of edge k leaves from, as a run's key: its source node, or its lane. */
static int station_key(const SlGraph *g, const Work *w, int k, int i)
{
    return i == 0 ? g->edges[k].from : g->n_nodes + w->lane_first[k] + i - 1;
}

/* The band between station i of edge k and the next: the one above the next station's row. */
static int station_band(const SlGraph *g, const Work *w, int k, int i)
{
    return row_of(w, w->items[station(g, w, k, i + 1)].layer);
}

/* Every sideways run: between two stations of an edge one row apart; a wrapping edge's run to
 * its gutter (in the band below its source) and along the top band into the next column. */
static void collect_runs(const SlGraph *g, Work *w)
{
    w->n_runs = 0;
    for (int k = 0; k < g->n_edges; k++) {
        int u = g->edges[k].from;
        if (w->wraps[k]) {
            double gx = gutter_x(g, w, u);
            add_run(w, row_of(w, w->layer[u]) + 1, u, out_x(g, w, u), out_x(g, w, u), gx);
            add_run(w, 0, u, NAN, gx, station_x(g, w, k, 1));
        }
        for (int i = w->wraps[k] ? 1 : 0; i <= w->n_lanes[k]; i++) {
            double xa = station_x(g, w, k, i);
            add_run(w, station_band(g, w, k, i), station_key(g, w, k, i), xa, xa,
                    station_x(g, w, k, i + 1));
        }
    }
}

static int by_key(const void *a, const void *b)
{
    const Run *p = a, *q = b;
    return p->band != q->band ? p->band - q->band : p->key - q->key;
}

static int by_x(const void *a, const void *b)
{
    const Run *p = a, *q = b;
    if (p->band != q->band)
        return p->band - q->band;
    return p->x0 < q->x0 ? -1 : p->x0 > q->x0 ? 1 : p->key - q->key;
}

/* Whether group h must run above group r: a run of r drops where h's line comes down into the
 * band, so with h below, the two verticals would share a stretch of one line. */
static int must_be_above(const Work *w, const Run *h, const Run *r)
{
    if (h == r || isnan(h->entry))
        return 0;
    for (int i = 0; i < w->n_parts; i++) {
        const Run *p = &w->parts[i];
        if (p->band == r->band && p->key == r->key && fabs(p->drop - h->entry) < NEAR)
            return 1;
    }
    return 0;
}

/* The next group of the band [a, b) to place: the leftmost that no unplaced group must run
 * above (the leftmost when they wait on one another). */
static int next_group(const Work *w, int a, int b)
{
    int first = -1;
    for (int i = a; i < b; i++) {
        if (w->runs[i].placed)
            continue;
        first = first < 0 ? i : first;
        int waits = 0;
        for (int j = a; j < b && !waits; j++)
            waits = !w->runs[j].placed && must_be_above(w, &w->runs[j], &w->runs[i]);
        if (!waits)
            return i;
    }
    return first;
}

/* Group i's track: the lowest below every placed group that must run above it, where no placed
 * group of the band overlaps it along x. */
static int free_track(const SlGraph *g, const Work *w, int a, int b, int i)
{
    const Run *r = &w->runs[i];
    int t = 0;
    for (int j = a; j < b; j++)
        if (w->runs[j].placed && must_be_above(w, &w->runs[j], r) && w->runs[j].track >= t)
            t = w->runs[j].track + 1;
    for (int j = a; j < b; j++) {
        const Run *q = &w->runs[j];
        if (q->placed && q->track == t && q->x0 < r->x1 + g->style.track_gap &&
            r->x0 < q->x1 + g->style.track_gap)
            t++, j = a - 1; /* taken: try the next track against every group again */
    }
    return t;
}

/* The runs of one key in one band make one group on one track; groups that overlap along x take
 * different tracks (the lowest free one, from the left, below the groups whose lines come down
 * where it drops). w->runs becomes the groups, sorted by band and key; w->tracks counts each
 * band's tracks. */
static void assign_tracks(const SlGraph *g, Work *w)
{
    int n = 0;
    memcpy(w->parts, w->runs, (size_t)w->n_runs * sizeof *w->runs);
    w->n_parts = w->n_runs;
    qsort(w->runs, (size_t)w->n_runs, sizeof *w->runs, by_key);
    for (int i = 0; i < w->n_runs; i++) {
        Run *r = &w->runs[i], *last = n ? &w->runs[n - 1] : NULL;
        if (last && last->band == r->band && last->key == r->key)
            last->x0 = fmin(last->x0, r->x0), last->x1 = fmax(last->x1, r->x1);
        else
            w->runs[n++] = *r;
    }
    w->n_runs = n;
    qsort(w->runs, (size_t)n, sizeof *w->runs, by_x);
    for (int a = 0, b; a < n; a = b) {
        for (b = a; b < n && w->runs[b].band == w->runs[a].band; b++)
            ;
        for (int k = a; k < b; k++) {
            int i = next_group(w, a, b);
            w->runs[i].track = free_track(g, w, a, b, i);
            w->runs[i].placed = 1;
            int *T = &w->tracks[w->runs[i].band];
            *T = w->runs[i].track + 1 > *T ? w->runs[i].track + 1 : *T;
        }
    }
    qsort(w->runs, (size_t)n, sizeof *w->runs, by_key);
}

/* A band's least height for T tracks: the first TRACK_TOP below its top, the last with room for
 * an arrow head below it. */
static double band_need(const SlGraph *g, int T)
{
    return TRACK_TOP + (T - 1) * g->style.track_gap + TRACK_BOTTOM;
}

static double track_y(const SlGraph *g, const Work *w, int band, int key)
{
    Run want = {.band = band, .key = key};
    const Run *r = bsearch(&want, w->runs, (size_t)w->n_runs, sizeof *w->runs, by_key);
    double spare = w->band_h[band] - band_need(g, w->tracks[band]);
    return round(w->band_y[band] + spare / 2 + TRACK_TOP + (r ? r->track : 0) * g->style.track_gap);
}

/* Row heights (the tallest node of the row in any column), band heights (their tracks, an arrow
 * head below the last), and where each starts; nodes centred in their rows. */
static void measure_rows(SlGraph *g, Work *w)
{
    int R = w->rows;
    const SlGlStyle *st = &g->style;
    for (int v = 0; v < g->n_nodes; v++) {
        int r = row_of(w, w->layer[v]);
        w->row_h[r] = fmax(w->row_h[r], g->nodes[v].h);
    }
    double y = 0;
    for (int b = 0; b <= R; b++) {
        int T = w->tracks[b];
        w->band_h[b] =
            T ? fmax(st->band_min, band_need(g, T)) : (b == 0 || b == R ? 0 : st->band_min);
        w->band_y[b] = y;
        y += w->band_h[b];
        if (b < R)
            w->row_y[b] = y, y += w->row_h[b];
    }
    g->h = (int)ceil(y);
    for (int v = 0; v < g->n_nodes; v++) {
        SlGlNode *nd = &g->nodes[v];
        nd->layer = w->layer[v];
        nd->column = w->col_of[nd->layer];
        nd->row = row_of(w, nd->layer);
        nd->x = (int)item_x(g, w, v);
        nd->y = (int)(w->row_y[nd->row] + (w->row_h[nd->row] - nd->h) / 2);
    }
}

/* ---- routes ---- */

static void point(SlGraph *g, const SlGlEdge *ed, double x, double y)
{
    int n = g->n_points;
    if (n > ed->first && g->px[n - 1] == x && g->py[n - 1] == y)
        return;
    g->px[n] = x, g->py[n] = y;
    g->n_points++;
}

static void route(SlGraph *g, const Work *w, int k)
{
    SlGlEdge *ed = &g->edges[k];
    const SlGlNode *u = &g->nodes[ed->from], *v = &g->nodes[ed->to];
    double x = out_x(g, w, ed->from);
    ed->first = g->n_points;
    point(g, ed, x, u->y + u->ay + u->ah);
    if (w->wraps[k]) { /* down, right to the gutter, up it, along the top band */
        double ty = track_y(g, w, u->row + 1, ed->from), gx = gutter_x(g, w, ed->from);
        double top = track_y(g, w, 0, ed->from);
        point(g, ed, x, ty);
        point(g, ed, gx, ty);
        point(g, ed, gx, top);
        point(g, ed, station_x(g, w, k, 1), top);
    }
    for (int i = w->wraps[k] ? 1 : 0; i <= w->n_lanes[k]; i++) {
        double xa = station_x(g, w, k, i), xb = station_x(g, w, k, i + 1);
        if (fabs(xa - xb) < 0.5)
            continue;
        double ty = track_y(g, w, station_band(g, w, k, i), station_key(g, w, k, i));
        point(g, ed, xa, ty);
        point(g, ed, xb, ty);
    }
    point(g, ed, w->in_x[k], v->y + v->ay);
    ed->n = g->n_points - ed->first;
}

/* ---- the whole layout ---- */

/* What one try at a number of rows allocates. */
static void free_pass(Work *w)
{
    void *all[] = {w->items, w->row_items, w->best,   w->key,    w->count, w->links, w->wt,
                   w->runs,  w->parts,     w->band_y, w->band_h, w->row_y, w->row_h, w->tracks};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        sl_free(all[i]);
    w->items = NULL, w->row_items = w->best = w->count = w->tracks = NULL;
    w->key = w->wt = NULL;
    w->links = NULL, w->runs = w->parts = NULL;
    w->band_y = w->band_h = w->row_y = w->row_h = NULL;
}

/* The points the routes can take: ends, a wrap's four, two per station. */
static size_t points_needed(const SlGraph *g, const Work *w)
{
    size_t n = 0;
    for (int k = 0; k < g->n_edges; k++)
        n += 6 + 2 * (size_t)(w->n_lanes[k] + 1);
    return n;
}

/* One layout with at most `rows` rows a column. */
static int lay_out(SlGraph *g, Work *w, int rows)
{
    int failed = 0, E = g->n_edges;
    free_pass(w);
    choose_columns(g, w, rows);
    if (build_items(g, w) < 0 || build_links(g, w) < 0)
        return -1;
    order_rows(w);
    if (place_items(g, w) < 0)
        return -1;
    sl_free(g->column_x), sl_free(g->px), sl_free(g->py);
    g->column_x = alloc_n((size_t)w->n_columns + 1, sizeof *g->column_x, &failed);
    g->px = alloc_n(points_needed(g, w), sizeof *g->px, &failed);
    g->py = alloc_n(points_needed(g, w), sizeof *g->py, &failed);
    w->runs = alloc_n((size_t)w->n_items + 2 * (size_t)E, sizeof *w->runs, &failed);
    w->parts = alloc_n((size_t)w->n_items + 2 * (size_t)E, sizeof *w->parts, &failed);
    w->tracks = alloc_n((size_t)w->rows + 1, sizeof *w->tracks, &failed);
    w->band_y = alloc_n((size_t)w->rows + 1, sizeof *w->band_y, &failed);
    w->band_h = alloc_n((size_t)w->rows + 1, sizeof *w->band_h, &failed);
    w->row_y = alloc_n((size_t)w->rows, sizeof *w->row_y, &failed);
    w->row_h = alloc_n((size_t)w->rows, sizeof *w->row_h, &failed);
    int *in = alloc_n((size_t)E, sizeof *in, &failed);
    double *at = alloc_n((size_t)E, sizeof *at, &failed);
    if (!failed) {
        place_columns(g, w);
        for (int v = 0; v < g->n_nodes; v++)
            place_ports(g, w, v, in, at);
        collect_runs(g, w);
        assign_tracks(g, w);
        measure_rows(g, w);
        g->n_points = 0;
        for (int k = 0; k < E; k++)
            route(g, w, k);
        g->n_columns = w->n_columns, g->rows = w->rows;
    }
    sl_free(in), sl_free(at);
    return failed ? -1 : 0;
}

int sl_graph_layout(SlGraph *g, int max_h, SlError *e)
{
    Work w;
    int failed = 0, n = g->n_nodes, E = g->n_edges;
    memset(&w, 0, sizeof w);
    w.layer = alloc_n((size_t)n, sizeof *w.layer, &failed);
    if (failed)
        return sl_errorf(e, "out of memory laying out a graph of %d nodes", n);
    int D = assign_layers(g, w.layer, e);
    if (D < 0) {
        work_free(&w);
        return -1;
    }
    w.n_layers = D;
    w.col_start = alloc_n((size_t)D + 1, sizeof *w.col_start, &failed);
    w.col_of = alloc_n((size_t)D, sizeof *w.col_of, &failed);
    w.col_w = alloc_n((size_t)D, sizeof *w.col_w, &failed);
    w.row_first = alloc_n((size_t)D + 1, sizeof *w.row_first, &failed);
    w.link_first = alloc_n((size_t)D + 1, sizeof *w.link_first, &failed);
    w.lane_first = alloc_n((size_t)E, sizeof *w.lane_first, &failed);
    w.n_lanes = alloc_n((size_t)E, sizeof *w.n_lanes, &failed);
    w.wraps = alloc_n((size_t)E, sizeof *w.wraps, &failed);
    w.in_x = alloc_n((size_t)E, sizeof *w.in_x, &failed);
    w.gutter = alloc_n((size_t)n, sizeof *w.gutter, &failed);
    int tallest = 1, B = g->style.band_min;
    for (int v = 0; v < n; v++)
        tallest = g->nodes[v].h > tallest ? g->nodes[v].h : tallest;
    int rows = (max_h + B) / (tallest + B);
    rows = rows < 1 ? 1 : rows > D ? D : rows;
    g->n_layers = D;
    while (!failed) {
        failed = lay_out(g, &w, rows) < 0;
        if (failed || g->h <= max_h || rows == 1)
            break;
        rows--;
    }
    work_free(&w);
    if (failed)
        return sl_errorf(e, "out of memory laying out a graph of %d nodes", n);
    return 0;
}
