/* canvas_px.h: for the files that write the canvas's pixels (canvas.c, canvas_smooth.c, text.c):
 * the box they may write, and blending, in pixels. Scenes and widgets draw through canvas.h. */
#ifndef SL_CANVAS_PX_H
#define SL_CANVAS_PX_H

#include <string.h>

#include "canvas.h"

/* The drawable box [x0, x1) x [y0, y1) in pixels: the clip rectangle within the canvas. The clip
 * fields are public, so they are checked against the canvas again here. Empty without pixels. */
typedef struct SlPxBox {
    long long x0, y0, x1, y1;
} SlPxBox;

SlPxBox sl_px_drawable(const SlCanvas *c);

/* out = src * a + dst * (1 - a), rounded, in integers; the alpha channel composites the same way
 * with src 255, so an opaque canvas stays opaque. */
static inline void sl_px_blend(uint8_t *p, SlColor col)
{
    unsigned a = col.a, na = 255 - a;
    if (a == 255) {
        memcpy(p, &col, 4);
        return;
    }
    p[0] = (uint8_t)((col.r * a + p[0] * na + 127) / 255);
    p[1] = (uint8_t)((col.g * a + p[1] * na + 127) / 255);
    p[2] = (uint8_t)((col.b * a + p[2] * na + 127) / 255);
    p[3] = (uint8_t)((255 * a + p[3] * na + 127) / 255);
}

/* The same for a pixel `cover` / 255 covered by the colour (anti-aliased edges, glyphs). */
static inline void sl_px_cover(uint8_t *p, SlColor col, unsigned cover)
{
    col.a = (uint8_t)((col.a * cover + 127) / 255);
    if (col.a)
        sl_px_blend(p, col);
}

static inline uint8_t *sl_px_at(const SlCanvas *c, long long x, long long y)
{
    return c->rgba + ((size_t)y * (size_t)c->pw + (size_t)x) * 4;
}

#endif
