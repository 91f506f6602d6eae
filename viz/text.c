/* text.c: text on the canvas with stb_easy_font.
 *
 * stb_easy_font builds each glyph from a few axis-aligned segments and hands them back as quads
 * (4 vertices of x, y, z, colour: 16 bytes each) in font units, where a capital is about 5 x 7 and
 * a line is 12 high. Each quad is filled as a rectangle scaled by an integer, which keeps the
 * strokes crisp: 2 is the size for labels.
 *
 * Text is drawn one chunk at a time through a fixed buffer, each chunk sized by counting its
 * glyphs' segments first, so a label of any length is drawn whole and never cut by stb's
 * "buffer full" rule.
 */
#include "canvas.h"

#include <limits.h>
#include <string.h>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wmissing-braces"
#include "stb_easy_font.h"
#pragma GCC diagnostic pop

enum {
    LINE_H = 12,       /* stb_easy_font's line advance, in font units */
    CHUNK_CHARS = 64,  /* characters per stb_easy_font_print call, at most */
    CHUNK_QUADS = 256, /* quads per call, at most: the vertex buffer holds this many */
    QUAD_BYTES = 64,   /* 4 vertices x (x, y, z, colour) */
    MAX_SCALE = 1 << 16
};

/* stb_easy_font knows ASCII 32..126 only (and reads outside its tables for anything else). */
static char glyph(char ch)
{
    return ch >= 32 && ch <= 126 ? ch : '?';
}

static int advance(char ch)
{
    return stb_easy_font_charinfo[glyph(ch) - 32].advance & 15;
}

/* Upper bound on the quads stb_easy_font emits for a character: its segments, empty ones too. */
static int segments(char ch)
{
    int i = glyph(ch) - 32;
    return stb_easy_font_charinfo[i + 1].h_seg - stb_easy_font_charinfo[i].h_seg +
           stb_easy_font_charinfo[i + 1].v_seg - stb_easy_font_charinfo[i].v_seg;
}

static int clamp_scale(int scale)
{
    return scale < 1 ? 1 : scale > MAX_SCALE ? MAX_SCALE : scale;
}

static int clamp_int(long long v)
{
    return v > INT_MAX ? INT_MAX : v < INT_MIN ? INT_MIN : (int)v;
}

/* The same measure as stb_easy_font_width and _height (widest line; 12 per line, a trailing empty
 * line not counted), in font units, for any bytes. */
static void measure(const char *text, long long *w, long long *h)
{
    long long line = 0, widest = 0, y = 0;
    int nonempty = 0;
    for (const char *p = text; *p; p++) {
        if (*p == '\n') {
            y += LINE_H;
            line = 0;
            nonempty = 0;
            continue;
        }
        line += advance(*p);
        widest = line > widest ? line : widest;
        nonempty = 1;
    }
    *w = widest;
    *h = y + (nonempty ? LINE_H : 0);
}

void sl_canvas_text_size(const char *text, int scale, int *w, int *h)
{
    long long fw = 0, fh = 0, s = clamp_scale(scale);
    if (text)
        measure(text, &fw, &fh);
    if (w)
        *w = clamp_int(fw * s);
    if (h)
        *h = clamp_int(fh * s);
}

/* Fill [fx0, fx1) x [fy0, fy1) in font units, scaled, offset by (ox, oy) pixels, clamped to the
 * int range (the canvas clips it anyway). */
static void fill_units(SlCanvas *c, long long ox, long long oy, long long s, int fx0, int fy0,
                       int fx1, int fy1, SlColor color)
{
    long long v[4] = {ox + fx0 * s, oy + fy0 * s, ox + fx1 * s, oy + fy1 * s};
    long long lim = (long long)INT_MAX / 2;
    for (int i = 0; i < 4; i++)
        v[i] = v[i] < -lim ? -lim : v[i] > lim ? lim : v[i];
    sl_canvas_fill_rect(c, (int)v[0], (int)v[1], (int)(v[2] - v[0]), (int)(v[3] - v[1]), color);
}

static int covers(const int *q, int fx, int fy)
{
    return fx >= q[0] && fx < q[2] && fy >= q[1] && fy < q[3];
}

/* Draw a chunk's quads. A few glyphs ('f', 't', '#', ...) have segments that overlap; opaque ink
 * does not care, but translucent ink would show darker dots there, so then each font unit is
 * drawn by the first quad covering it only. (Neighbouring glyphs never overlap, so chunks are
 * independent.) */
static void fill_quads(SlCanvas *c, long long ox, long long oy, long long s, int (*q)[4], int nq,
                       SlColor color)
{
    for (int k = 0; k < nq; k++) {
        if (color.a == 255) {
            fill_units(c, ox, oy, s, q[k][0], q[k][1], q[k][2], q[k][3], color);
            continue;
        }
        for (int fy = q[k][1]; fy < q[k][3]; fy++)
            for (int fx = q[k][0]; fx < q[k][2]; fx++) {
                int seen = 0;
                for (int j = 0; j < k && !seen; j++)
                    seen = covers(q[j], fx, fy);
                if (!seen)
                    fill_units(c, ox, oy, s, fx, fy, fx + 1, fy + 1, color);
            }
    }
}

int sl_canvas_text(SlCanvas *c, int x, int y, const char *text, int scale, SlColor color)
{
    if (!text || !*text)
        return 0;
    long long s = clamp_scale(scale), fw, fh;
    measure(text, &fw, &fh);
    int w = clamp_int(fw * s), h = clamp_int(fh * s);
    if (c->recording)
        sl_canvas_record(c, SL_ITEM_TEXT, x, y, w, h, SL_ROLE_NONE, (int)s, text);

    /* Nothing to draw if the text's box misses the clip rectangle. */
    if ((long long)x >= c->clip_x1 || (long long)x + w <= c->clip_x0 ||
        (long long)y >= c->clip_y1 || (long long)y + h <= c->clip_y0)
        return w;

    _Alignas(16) unsigned char vbuf[CHUNK_QUADS * QUAD_BYTES];
    int quad[CHUNK_QUADS][4]; /* x0, y0, x1, y1 in font units */
    char chunk[CHUNK_CHARS + 1];
    long long pen_x = 0, pen_y = 0; /* font units */
    const char *p = text;
    while (*p) {
        if (*p == '\n') {
            pen_x = 0;
            pen_y += LINE_H;
            p++;
            continue;
        }
        /* Take characters of this line while they surely fit in the vertex buffer. */
        int n = 0, quads = 0, adv = 0;
        while (p[n] && p[n] != '\n' && n < CHUNK_CHARS && quads + segments(p[n]) <= CHUNK_QUADS) {
            chunk[n] = glyph(p[n]);
            quads += segments(p[n]);
            adv += advance(p[n]);
            n++;
        }
        chunk[n] = '\0';
        int nq = stb_easy_font_print(0, 0, chunk, NULL, vbuf, (int)sizeof vbuf);
        for (int k = 0; k < nq; k++) {
            /* Vertex 0 is the top-left corner, vertex 2 the bottom-right (see stb_easy_font);
             * with no spacing set, they are whole font units. */
            float v0[2], v2[2];
            memcpy(v0, vbuf + k * QUAD_BYTES, sizeof v0);
            memcpy(v2, vbuf + k * QUAD_BYTES + 32, sizeof v2);
            quad[k][0] = (int)v0[0], quad[k][1] = (int)v0[1];
            quad[k][2] = (int)v2[0], quad[k][3] = (int)v2[1];
        }
        fill_quads(c, x + pen_x * s, y + pen_y * s, s, quad, nq, color);
        pen_x += adv;
        p += n;
    }
    return w;
}
