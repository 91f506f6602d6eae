/* check_graph.c: the layered graph drawing (viz/graph_layout.c) held to what a reader of the
 * shapes scene relies on, on the graphs of real models (a residual block, a U-Net, two inputs,
 * three branches) and on seeded random DAGs, tall enough to wrap into columns or not:
 *   - no two nodes overlap, and everything lies inside the drawing;
 *   - every edge is drawn from its producer to its consumer: it leaves the middle of the bottom of
 *     the producer's block and ends, going down, on the top of the consumer's block;
 *   - routes are made of vertical and horizontal segments that cross no node;
 *   - two edges share a stretch of line only when they leave the same node (one line that
 *     branches), so no line is read as the wrong edge;
 *   - the layout is the same every time (a copy laid out, the same graph laid out again);
 *   - a drawing that fits the height in columns is made to fit; a cycle is refused.
 */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph_layout.h"
#include "rng.h"
#include "script/script.h"

/* ---- graphs ---- */

/* Node i's rectangle and its block (the part edges meet) in the shapes scene's proportions: a
 * block, an arrow, tensor boxes and a label of a width that varies with the node. */
static SlGlNode node_of_width(int boxes_w)
{
    return (SlGlNode){.w = 160 + 20 + boxes_w, .h = 40, .aw = 160, .ay = 0, .ah = 40};
}

/* The graph of a model's calls: a node for each, an edge for each input it reads. */
static void graph_of_model(const SlModel *m, SlGraph *g)
{
    SlError e = {{0}};
    int n_edges = 0;
    for (int i = 0; i < m->n_nodes; i++)
        n_edges += m->nodes[i].sym.n_in;
    ck_assert_msg(sl_graph_init(g, m->n_nodes, n_edges, &e) == 0, "%s", e.msg);
    n_edges = 0;
    for (int i = 0; i < m->n_nodes; i++) {
        g->nodes[i] = node_of_width(60 + 37 * i % 200);
        for (int k = 0; k < m->nodes[i].sym.n_in; k++)
            g->edges[n_edges++] = (SlGlEdge){.from = m->t[m->nodes[i].in[k]].node, .to = i};
    }
}

/* A seeded DAG of n nodes: each node after the first reads 1 to 3 earlier ones, mostly near it
 * (chains, skips and merges as models make them), a few nodes being extra sources. */
static void random_graph(uint64_t seed, int n, SlGraph *g)
{
    SlRng r = sl_rng(seed);
    int from[3 * 40], to[3 * 40], n_edges = 0;
    ck_assert_int_le(n, 40);
    for (int v = 1; v < n; v++) {
        if (sl_rng_uniform(&r) < 0.1)
            continue; /* another input */
        int reads = 1 + (int)sl_rng_below(&r, 3);
        for (int k = 0; k < reads; k++) {
            int back = 1 + (int)sl_rng_below(&r, k == 0 ? 2 : (uint32_t)v);
            int u = v - (back > v ? v : back);
            int dup = 0;
            for (int j = 0; j < n_edges; j++)
                dup |= from[j] == u && to[j] == v;
            if (!dup)
                from[n_edges] = u, to[n_edges] = v, n_edges++;
        }
    }
    SlError e = {{0}};
    ck_assert_msg(sl_graph_init(g, n, n_edges, &e) == 0, "%s", e.msg);
    for (int v = 0; v < n; v++)
        g->nodes[v] = node_of_width(40 + (int)sl_rng_below(&r, 260));
    for (int k = 0; k < n_edges; k++)
        g->edges[k] = (SlGlEdge){.from = from[k], .to = to[k]};
}

/* n nodes of one size joined by the edges from[k] -> to[k]. */
static void small_graph(SlGraph *g, int n, int n_edges, const int *from, const int *to)
{
    SlError e = {{0}};
    ck_assert_msg(sl_graph_init(g, n, n_edges, &e) == 0, "%s", e.msg);
    for (int i = 0; i < n; i++)
        g->nodes[i] = node_of_width(100);
    for (int k = 0; k < n_edges; k++)
        g->edges[k] = (SlGlEdge){.from = from[k], .to = to[k]};
}

/* ---- the properties ---- */

static int overlap_1d(double a0, double a1, double b0, double b1, double by)
{
    return fmin(a1, b1) - fmax(a0, b0) > by;
}

/* Whether segment (x0,y0)-(x1,y1) runs through the inside of node v (its border may be touched). */
static int crosses(const SlGlNode *v, double x0, double y0, double x1, double y1)
{
    double lo_x = fmin(x0, x1), hi_x = fmax(x0, x1), lo_y = fmin(y0, y1), hi_y = fmax(y0, y1);
    return lo_x < v->x + v->w - 0.5 && hi_x > v->x + 0.5 && lo_y < v->y + v->h - 0.5 &&
           hi_y > v->y + 0.5;
}

static void check_nodes(const SlGraph *g, const char *what)
{
    for (int i = 0; i < g->n_nodes; i++) {
        const SlGlNode *a = &g->nodes[i];
        ck_assert_msg(a->x >= 0 && a->y >= 0 && a->x + a->w <= g->w && a->y + a->h <= g->h,
                      "%s: node %d (%d,%d %dx%d) is outside the %dx%d drawing", what, i, a->x, a->y,
                      a->w, a->h, g->w, g->h);
        for (int j = i + 1; j < g->n_nodes; j++) {
            const SlGlNode *b = &g->nodes[j];
            ck_assert_msg(!(overlap_1d(a->x, a->x + a->w, b->x, b->x + b->w, 0) &&
                            overlap_1d(a->y, a->y + a->h, b->y, b->y + b->h, 0)),
                          "%s: nodes %d (%d,%d %dx%d) and %d (%d,%d %dx%d) overlap", what, i, a->x,
                          a->y, a->w, a->h, j, b->x, b->y, b->w, b->h);
        }
    }
}

/* Edge k: from the middle of its producer's block bottom, down onto its consumer's block top,
 * in vertical and horizontal segments inside the drawing and through no node. */
static void check_route(const SlGraph *g, int k, const char *what)
{
    const SlGlEdge *ed = &g->edges[k];
    const SlGlNode *a = &g->nodes[ed->from], *b = &g->nodes[ed->to];
    ck_assert_msg(ed->n >= 2 && ed->first >= 0 && ed->first + ed->n <= g->n_points,
                  "%s: edge %d (%d -> %d) has %d points", what, k, ed->from, ed->to, ed->n);
    const double *px = g->px + ed->first, *py = g->py + ed->first;
    int n = ed->n;
    ck_assert_msg(fabs(px[0] - (a->x + a->ax + a->aw / 2.0)) <= 1 &&
                      fabs(py[0] - (a->y + a->ay + a->ah)) <= 0.5,
                  "%s: edge %d (%d -> %d) starts at (%.1f, %.1f), not at the middle of the bottom "
                  "of node %d's block (%d,%d %dx%d)",
                  what, k, ed->from, ed->to, px[0], py[0], ed->from, a->x + a->ax, a->y + a->ay,
                  a->aw, a->ah);
    ck_assert_msg(px[n - 1] >= b->x + b->ax && px[n - 1] <= b->x + b->ax + b->aw &&
                      fabs(py[n - 1] - (b->y + b->ay)) <= 0.5 && px[n - 2] == px[n - 1] &&
                      py[n - 1] - py[n - 2] >= 6,
                  "%s: edge %d (%d -> %d) ends at (%.1f, %.1f) coming from (%.1f, %.1f), not down "
                  "onto the top of node %d's block (%d,%d %dx%d)",
                  what, k, ed->from, ed->to, px[n - 1], py[n - 1], px[n - 2], py[n - 2], ed->to,
                  b->x + b->ax, b->y + b->ay, b->aw, b->ah);
    for (int i = 1; i < n; i++) {
        ck_assert_msg(px[i] == px[i - 1] || py[i] == py[i - 1],
                      "%s: edge %d's segment %d (%.1f,%.1f)-(%.1f,%.1f) is slanted", what, k, i,
                      px[i - 1], py[i - 1], px[i], py[i]);
        ck_assert_msg(px[i] >= 0 && px[i] <= g->w && py[i] >= 0 && py[i] <= g->h,
                      "%s: edge %d's point (%.1f, %.1f) is outside the %dx%d drawing", what, k,
                      px[i], py[i], g->w, g->h);
        for (int v = 0; v < g->n_nodes; v++)
            ck_assert_msg(!crosses(&g->nodes[v], px[i - 1], py[i - 1], px[i], py[i]),
                          "%s: edge %d (%d -> %d) runs through node %d (%d,%d %dx%d) from "
                          "(%.1f,%.1f) to (%.1f,%.1f)",
                          what, k, ed->from, ed->to, v, g->nodes[v].x, g->nodes[v].y, g->nodes[v].w,
                          g->nodes[v].h, px[i - 1], py[i - 1], px[i], py[i]);
    }
}

/* Two edges from different nodes never run along one line for more than a crossing's width. */
static void check_shared_lines(const SlGraph *g, const char *what)
{
    for (int k = 0; k < g->n_edges; k++)
        for (int l = k + 1; l < g->n_edges; l++) {
            const SlGlEdge *a = &g->edges[k], *b = &g->edges[l];
            if (a->from == b->from)
                continue;
            for (int i = 1; i < a->n; i++)
                for (int j = 1; j < b->n; j++) {
                    double ax0 = g->px[a->first + i - 1], ax1 = g->px[a->first + i];
                    double ay0 = g->py[a->first + i - 1], ay1 = g->py[a->first + i];
                    double bx0 = g->px[b->first + j - 1], bx1 = g->px[b->first + j];
                    double by0 = g->py[b->first + j - 1], by1 = g->py[b->first + j];
                    int horizontal = ay0 == ay1 && by0 == by1 && fabs(ay0 - by0) < 2 &&
                                     overlap_1d(fmin(ax0, ax1), fmax(ax0, ax1), fmin(bx0, bx1),
                                                fmax(bx0, bx1), 2);
                    int vertical = ax0 == ax1 && bx0 == bx1 && fabs(ax0 - bx0) < 2 &&
                                   overlap_1d(fmin(ay0, ay1), fmax(ay0, ay1), fmin(by0, by1),
                                              fmax(by0, by1), 2);
                    ck_assert_msg(!horizontal && !vertical,
                                  "%s: edges %d (%d -> %d) and %d (%d -> %d) run along one line "
                                  "at (%.1f,%.1f)-(%.1f,%.1f)",
                                  what, k, a->from, a->to, l, b->from, b->to, ax0, ay0, ax1, ay1);
                }
        }
}

/* The drawing of a copy of g's given fields, for comparing two layouts. */
static void copy_given(const SlGraph *g, SlGraph *c)
{
    SlError e = {{0}};
    ck_assert_msg(sl_graph_init(c, g->n_nodes, g->n_edges, &e) == 0, "%s", e.msg);
    for (int i = 0; i < g->n_nodes; i++) {
        const SlGlNode *v = &g->nodes[i];
        c->nodes[i] =
            (SlGlNode){.w = v->w, .h = v->h, .ax = v->ax, .aw = v->aw, .ay = v->ay, .ah = v->ah};
    }
    for (int k = 0; k < g->n_edges; k++)
        c->edges[k] = (SlGlEdge){.from = g->edges[k].from, .to = g->edges[k].to};
}

static void check_same(const SlGraph *g, const SlGraph *c, const char *what, const char *how)
{
    ck_assert_msg(
        g->w == c->w && g->h == c->h && g->n_columns == c->n_columns && g->n_points == c->n_points,
        "%s: %s gives a %dx%d drawing in %d columns (%d points), not %dx%d in %d (%d)", what, how,
        c->w, c->h, c->n_columns, c->n_points, g->w, g->h, g->n_columns, g->n_points);
    for (int i = 0; i < g->n_nodes; i++)
        ck_assert_msg(g->nodes[i].x == c->nodes[i].x && g->nodes[i].y == c->nodes[i].y,
                      "%s: %s puts node %d at (%d,%d), not (%d,%d)", what, how, i, c->nodes[i].x,
                      c->nodes[i].y, g->nodes[i].x, g->nodes[i].y);
    for (int k = 0; k < g->n_edges; k++)
        ck_assert_msg(g->edges[k].first == c->edges[k].first && g->edges[k].n == c->edges[k].n,
                      "%s: %s routes edge %d differently", what, how, k);
    ck_assert_msg(!memcmp(g->px, c->px, (size_t)g->n_points * sizeof *g->px) &&
                      !memcmp(g->py, c->py, (size_t)g->n_points * sizeof *g->py),
                  "%s: %s routes the edges through other points", what, how);
}

/* Lay g out to fit max_h and check every property. */
static void check_layout(SlGraph *g, int max_h, const char *what)
{
    SlError e = {{0}};
    ck_assert_msg(sl_graph_layout(g, max_h, &e) == 0, "%s: %s", what, e.msg);
    check_nodes(g, what);
    for (int k = 0; k < g->n_edges; k++)
        check_route(g, k, what);
    check_shared_lines(g, what);
    /* a column of the tallest node fits, so the drawing does */
    if (max_h >= 40)
        ck_assert_msg(g->h <= max_h, "%s: %d high in %d columns, more than the %d asked for", what,
                      g->h, g->n_columns, max_h);
    SlGraph c;
    copy_given(g, &c);
    ck_assert_msg(sl_graph_layout(&c, max_h, &e) == 0, "%s", e.msg);
    check_same(g, &c, what, "a copy laid out");
    sl_graph_free(&c);
    ck_assert_msg(sl_graph_layout(g, max_h, &e) == 0, "%s", e.msg);
    copy_given(g, &c);
    ck_assert_msg(sl_graph_layout(&c, max_h, &e) == 0, "%s", e.msg);
    check_same(&c, g, what, "laying the same graph out again");
    sl_graph_free(&c);
}

/* ---- models ---- */

static const char *const models[] = {"../shared/models/17_functional_merge.py",
                                     "../shared/models/14_multi_output.py",
                                     "../shared/models/08_seq2seq_encoder_decoder.py",
                                     "tests/scripts/models/resnet_bn.py",
                                     "tests/scripts/models/unet.py",
                                     "tests/scripts/models/three_branches.py"};
enum { N_MODELS = sizeof models / sizeof models[0] };
/* Heights to fit: roomy (one column), the scene's usual, short enough to wrap into columns. */
static const int heights[] = {4000, 560, 260};
enum { N_HEIGHTS = sizeof heights / sizeof heights[0] };

START_TEST(test_model_graphs)
{
    const char *path = models[_i / N_HEIGHTS];
    int max_h = heights[_i % N_HEIGHTS];
    SlScriptOptions quiet;
    memset(&quiet, 0, sizeof quiet);
    SlError e = {{0}};
    SlScript *sc = sl_script_run(path, &quiet, &e);
    ck_assert_msg(sc != NULL, "%s", e.msg);
    SlModel *m = sl_script_model(sc, &e);
    ck_assert_msg(m != NULL, "%s: %s", path, e.msg);
    SlGraph g;
    graph_of_model(m, &g);
    char what[600];
    snprintf(what, sizeof what, "%s in %d units of height", path, max_h);
    check_layout(&g, max_h, what);
    sl_graph_free(&g);
    sl_script_free(sc);
}
END_TEST

/* A residual block drawn as a reader expects it: the skip runs beside the blocks it skips, the
 * chain it skips stays in one straight column, and the merge sits under that chain. */
START_TEST(test_residual_reads_straight)
{
    SlGraph g;
    /* 0 -> 1 -> 2 -> 3 (add) <- 0, then 4 */
    const int from[] = {0, 1, 2, 0, 3}, to[] = {1, 2, 3, 3, 4};
    small_graph(&g, 5, 5, from, to);
    check_layout(&g, 4000, "x + f(x)");
    ck_assert_int_eq(g.n_columns, 1);
    for (int i = 1; i < 5; i++) {
        ck_assert_msg(g.nodes[i].x == g.nodes[0].x, "node %d at x %d, the chain's column at %d", i,
                      g.nodes[i].x, g.nodes[0].x);
        ck_assert_msg(g.nodes[i].y > g.nodes[i - 1].y, "node %d is not below node %d", i, i - 1);
    }
    sl_graph_free(&g);
}
END_TEST

/* Three branches from one input, joined: they stand side by side in one row. */
START_TEST(test_branches_side_by_side)
{
    SlGraph g;
    const int from[] = {0, 0, 0, 1, 2, 3}, to[] = {1, 2, 3, 4, 4, 4};
    small_graph(&g, 5, 6, from, to);
    check_layout(&g, 4000, "three branches");
    for (int i = 2; i <= 3; i++)
        ck_assert_msg(g.nodes[i].y == g.nodes[1].y && g.nodes[i].x > g.nodes[i - 1].x,
                      "branch %d at (%d,%d), branch %d at (%d,%d): not side by side", i - 1,
                      g.nodes[i - 1].x, g.nodes[i - 1].y, i, g.nodes[i].x, g.nodes[i].y);
    ck_assert_int_gt(g.nodes[4].y, g.nodes[1].y);
    ck_assert_int_gt(g.nodes[1].y, g.nodes[0].y);
    sl_graph_free(&g);
}
END_TEST

START_TEST(test_random_graphs)
{
    SlGraph g;
    int n = 2 + _i % 29, max_h = _i % 3 == 0 ? 4000 : _i % 3 == 1 ? 560 : 200;
    random_graph(1000 + (uint64_t)_i, n, &g);
    char what[96];
    snprintf(what, sizeof what, "random graph %d (%d nodes, %d edges, %d high)", _i, n, g.n_edges,
             max_h);
    check_layout(&g, max_h, what);
    sl_graph_free(&g);
}
END_TEST

/* A long chain in a short drawing wraps into columns that fit, cut between two rows. */
START_TEST(test_chain_wraps)
{
    SlGraph g;
    int from[29], to[29];
    for (int k = 0; k < 29; k++)
        from[k] = k, to[k] = k + 1;
    small_graph(&g, 30, 29, from, to);
    check_layout(&g, 500, "a chain of 30");
    ck_assert_int_gt(g.n_columns, 1);
    for (int i = 1; i < 30; i++)
        ck_assert_msg(g.nodes[i].y > g.nodes[i - 1].y || g.nodes[i].x > g.nodes[i - 1].x,
                      "node %d (%d,%d) is neither below nor right of node %d (%d,%d)", i,
                      g.nodes[i].x, g.nodes[i].y, i - 1, g.nodes[i - 1].x, g.nodes[i - 1].y);
    sl_graph_free(&g);
}
END_TEST

START_TEST(test_cycle_refused)
{
    SlGraph g;
    SlError e = {{0}};
    const int from[] = {0, 1, 2}, to[] = {1, 2, 0};
    small_graph(&g, 3, 3, from, to);
    ck_assert_int_eq(sl_graph_layout(&g, 500, &e), -1);
    ck_assert_msg(strlen(e.msg) > 0, "no error message for a cycle");
    sl_graph_free(&g);
}
END_TEST

enum { N_RANDOM = 120 };

static Suite *suite(void)
{
    Suite *s = suite_create("graph");
    TCase *tc = tcase_create("layout");
    tcase_set_timeout(tc, 30);
    tcase_add_loop_test(tc, test_model_graphs, 0, N_MODELS * N_HEIGHTS);
    tcase_add_test(tc, test_residual_reads_straight);
    tcase_add_test(tc, test_branches_side_by_side);
    tcase_add_loop_test(tc, test_random_graphs, 0, N_RANDOM);
    tcase_add_test(tc, test_chain_wraps);
    tcase_add_test(tc, test_cycle_refused);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(suite()) ? EXIT_FAILURE : EXIT_SUCCESS;
}
