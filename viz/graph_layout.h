/* graph_layout.h: a layered drawing of a directed acyclic graph, read from top to bottom (the
 * shapes scene's layer graph; it knows nothing of layers).
 *
 * Nodes are rectangles of given sizes with a part that edges meet (a layer block: an edge leaves
 * the middle of its bottom and ends on its top). The drawing is made in four passes:
 *   layers   each node one row below the lowest of its predecessors (the longest path from the
 *            sources); a source sits just above its first consumer;
 *   columns  when the rows do not fit the height, runs of consecutive rows wrap into columns side
 *            by side, cut where the fewest edges cross;
 *   order    an edge that skips rows gets a lane (a thin placeholder) in every row it passes, so
 *            it runs beside the nodes it skips; within a row, nodes and lanes are ordered by
 *            barycentre sweeps, keeping the order with the fewest crossings;
 *   place    each row's items as near to the middle of their neighbours as their order allows (a
 *            least-squares fit), so a chain runs straight down;
 *   routes   each edge is an orthogonal polyline: down through the rows (in its lane when it skips
 *            some), sideways only in the gaps between rows, every sideways run on a track of its
 *            own; an edge to a later column leaves by the gutter at the right of its column, runs
 *            up it and along the band above the first row. So no route crosses a node.
 */
#ifndef SL_GRAPH_LAYOUT_H
#define SL_GRAPH_LAYOUT_H

#include "error.h"

typedef struct SlGlNode {
    /* given */
    int w, h;   /* the whole rectangle (a layer block with its tensor boxes beside it) */
    int ax, aw; /* the part edges meet, relative to the node: [x + ax, x + ax + aw) ... */
    int ay, ah; /* ... from its top y + ay to its bottom y + ay + ah */
    /* computed */
    int x, y; /* top-left */
    int layer, column, row;
} SlGlNode;

typedef struct SlGlEdge {
    int from, to; /* given: node indices */
    /* computed: the route, from the middle of from's bottom to a point on to's top, as points
     * g->px[first .. first + n), g->py[...] joined by vertical and horizontal segments */
    int first, n;
} SlGlEdge;

/* Distances in units. */
typedef struct SlGlStyle {
    int node_gap;  /* between two nodes of a row */
    int lane_gap;  /* between a lane and its neighbours */
    int band_min;  /* the least gap between two rows (room for an arrow head) */
    int track_gap; /* between two sideways runs in one gap */
    int port_gap;  /* between two edges' ends on one node */
} SlGlStyle;

typedef struct SlGraph {
    int n_nodes, n_edges;
    SlGlNode *nodes;
    SlGlEdge *edges;
    SlGlStyle style;
    /* computed by sl_graph_layout */
    int w, h;            /* the drawing's size */
    int n_layers;        /* rows of the whole graph */
    int n_columns, rows; /* columns it wraps into, rows per column */
    int *column_x;       /* [n_columns + 1]: where each column starts; the last entry is w */
    double *px, *py;     /* the routes' points */
    int n_points;
    void *work; /* the layout's own */
} SlGraph;

/* Room for n_nodes nodes and n_edges edges (zeroed; the caller fills their given fields). */
int sl_graph_init(SlGraph *g, int n_nodes, int n_edges, SlError *e);
/* Lay the graph out to fit max_h units in height if it can (more columns when it does not; the
 * width is what it takes). Node sizes may change between two calls. Returns -1 with an error when
 * an edge goes backwards (not a DAG) or memory runs out. */
int sl_graph_layout(SlGraph *g, int max_h, SlError *e);
void sl_graph_free(SlGraph *g);

#endif
