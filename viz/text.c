/* text.c: text on the canvas: DejaVu Sans, Sans Bold and Sans Mono drawn with stb_truetype.
 *
 * The fonts are inside the program (fonts.h: the build embeds fonts-dejavu-core's files), so
 * every machine, and a browser build, draws the same pixels. A style (canvas.h) is a face and a
 * size in pixels, the size of the em as in CSS.
 *
 * Layout is done at the style's size in units, in whole units: each glyph advances the pen by its
 * advance width rounded, plus the pair's kerning rounded, so a text's width is an integer that the
 * same text always has, whatever the canvas's scale. Glyphs are drawn at the canvas's scale (a
 * 15 px label is rasterized at 30 px for --scale 2), each at its pen position times the scale, so a
 * picture at scale 2 is the one at scale 1 with sharper letters.
 *
 * Rasterized glyphs are kept in a cache of fixed size shared by every canvas (the program draws
 * from one thread): a frame of a scene draws a few thousand glyphs but rasterizes only the few it
 * has not seen. When the cache is full it is emptied and starts again. Text never takes memory
 * from the heap.
 */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "canvas.h"
#include "canvas_px.h"
#include "fonts.h"

/* stb_truetype's own working memory (a glyph's outline and edges while it is rasterized) comes
 * from a fixed arena that is emptied after each glyph: drawing text never asks the heap for
 * memory, so it goes on when the heap has none. */
static void *scratch_take(size_t n);
#define STBTT_malloc(size, user) ((void)(user), scratch_take(size))
#define STBTT_free(p, user)      ((void)(user), (void)(p))
#define STBTT_STATIC
#define STB_TRUETYPE_IMPLEMENTATION
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wshadow"
#include "stb_truetype.h"
#pragma GCC diagnostic pop

typedef enum Face { SANS, BOLD, MONO, N_FACES } Face;

static const struct {
    Face face;
    int px;
} styles[SL_TEXT_STYLES] = {
    [SL_TEXT_LABEL] = {SANS, 15},   [SL_TEXT_TITLE] = {BOLD, 18},  [SL_TEXT_HEADING] = {BOLD, 15},
    [SL_TEXT_CAPTION] = {SANS, 16}, [SL_TEXT_NUMBER] = {MONO, 13}, [SL_TEXT_SMALL] = {SANS, 12},
};

/* ---- the fonts ---- */

typedef struct Font {
    stbtt_fontinfo info;
    int ascent, descent; /* font units; descent below the baseline is negative */
    int ok;
} Font;

static Font fonts[N_FACES];

static const Font *font(Face f)
{
    static int loaded;
    if (!loaded) {
        const unsigned char *data[N_FACES] = {sl_font_sans, sl_font_sans_bold, sl_font_mono};
        for (int i = 0; i < N_FACES; i++) {
            Font *ft = &fonts[i];
            ft->ok = stbtt_InitFont(&ft->info, data[i], stbtt_GetFontOffsetForIndex(data[i], 0));
            int gap;
            if (ft->ok)
                stbtt_GetFontVMetrics(&ft->info, &ft->ascent, &ft->descent, &gap);
        }
        loaded = 1;
    }
    return &fonts[f];
}

static SlTextStyle checked(SlTextStyle s)
{
    return (int)s >= 0 && s < SL_TEXT_STYLES ? s : SL_TEXT_LABEL;
}

static double em_scale(Face f, double px)
{
    return stbtt_ScaleForMappingEmToPixels(&font(f)->info, (float)px);
}

int sl_text_px(SlTextStyle style)
{
    return styles[checked(style)].px;
}

/* Above the baseline and below it, in pixels at size px. */
static int ascent_px(Face f, double px)
{
    return (int)ceil(font(f)->ascent * em_scale(f, px));
}

static int descent_px(Face f, double px)
{
    return (int)ceil(-font(f)->descent * em_scale(f, px));
}

int sl_text_height(SlTextStyle style)
{
    const int f = styles[checked(style)].face, px = styles[checked(style)].px;
    return ascent_px(f, px) + descent_px(f, px);
}

/* ---- the glyph cache ---- */

typedef struct Glyph {
    uint64_t key;          /* face, size, scale and code point; 0: an empty slot */
    int index;             /* in the font */
    int advance;           /* in whole units at the style's size */
    int x0, y0, w, h;      /* the bitmap, in pixels from the pen on the baseline */
    unsigned char *bitmap; /* w * h coverage values, 0..255, in the pool */
} Glyph;

enum {
    SLOTS = 4096,          /* a power of two */
    POOL = 1 << 20,        /* bytes of glyph bitmaps; when full, the cache starts again */
    SCRATCH = 1 << 18,     /* stb_truetype's arena for one glyph */
    MAX_GLYPH_PX = 1 << 9, /* a bigger glyph is drawn as nothing */
    KERN_SLOTS = 4096      /* pairs' kerning remembered (a direct-mapped table) */
};

/* Static memory: the cache is shared by every canvas of the program (which draws from one
 * thread), and fixed in size. */
static struct {
    Glyph slot[SLOTS];
    int n;
    size_t used;
    unsigned char pool[POOL];
} cache;

static struct {
    size_t used;
    _Alignas(16) unsigned char data[SCRATCH];
} scratch;

static void *scratch_take(size_t n)
{
    n = (n + 15) / 16 * 16;
    if (n > SCRATCH - scratch.used)
        return NULL; /* stb_truetype then draws nothing for the glyph */
    void *p = scratch.data + scratch.used;
    scratch.used += n;
    return p;
}

static void cache_empty(void)
{
    memset(cache.slot, 0, sizeof cache.slot);
    cache.n = 0;
    cache.used = 0;
}

static unsigned char *pool_take(size_t n)
{
    if (n > POOL - cache.used)
        return NULL;
    unsigned char *p = cache.pool + cache.used;
    cache.used += n;
    return p;
}

static uint64_t glyph_key(Face f, int px, int scale, uint32_t cp)
{
    return ((uint64_t)(f + 1) << 48) | ((uint64_t)px << 36) | ((uint64_t)scale << 32) | cp;
}

/* Rasterize one glyph into g (the key and index already set). */
static void rasterize(Glyph *g, Face f, int px, int scale)
{
    const stbtt_fontinfo *info = &font(f)->info;
    int adv, lsb, x0, y0, x1, y1;
    stbtt_GetGlyphHMetrics(info, g->index, &adv, &lsb);
    g->advance = (int)lround(adv * em_scale(f, px));
    float s = (float)em_scale(f, (double)px * scale);
    stbtt_GetGlyphBitmapBox(info, g->index, s, s, &x0, &y0, &x1, &y1);
    g->x0 = x0, g->y0 = y0, g->w = x1 - x0, g->h = y1 - y0;
    g->bitmap = NULL;
    if (g->w <= 0 || g->h <= 0 || g->w > MAX_GLYPH_PX || g->h > MAX_GLYPH_PX) {
        g->w = g->h = 0;
        return;
    }
    g->bitmap = pool_take((size_t)g->w * (size_t)g->h);
    if (!g->bitmap) { /* the pool is full: start again with this glyph alone */
        Glyph keep = *g;
        cache_empty();
        *g = keep;
        g->bitmap = pool_take((size_t)g->w * (size_t)g->h);
        cache.n = 1;
    }
    memset(g->bitmap, 0, (size_t)g->w * (size_t)g->h);
    scratch.used = 0;
    stbtt_MakeGlyphBitmap(info, g->bitmap, g->w, g->h, g->w, s, s, g->index);
    scratch.used = 0;
}

/* The glyph of code point cp for face f at px, rasterized for `scale`; a code point the font
 * lacks is drawn as '?'. The pointer is good until the next call. */
static const Glyph *glyph(Face f, int px, int scale, uint32_t cp)
{
    uint64_t key = glyph_key(f, px, scale, cp);
    unsigned h = (unsigned)((key * 0x9E3779B97F4A7C15ULL) >> 52) & (SLOTS - 1);
    while (cache.slot[h].key && cache.slot[h].key != key)
        h = (h + 1) & (SLOTS - 1);
    if (cache.slot[h].key == key)
        return &cache.slot[h];
    if (cache.n >= SLOTS * 3 / 4) { /* full: start again */
        cache_empty();
        return glyph(f, px, scale, cp);
    }
    Glyph *g = &cache.slot[h];
    memset(g, 0, sizeof *g);
    g->key = key;
    cache.n++;
    const stbtt_fontinfo *info = &font(f)->info;
    g->index = font(f)->ok ? stbtt_FindGlyphIndex(info, (int)cp) : 0;
    if (!g->index && font(f)->ok)
        g->index = stbtt_FindGlyphIndex(info, '?');
    if (font(f)->ok)
        rasterize(g, f, px, scale);
    return g;
}

/* ---- UTF-8 ---- */

/* The code point at *p, moving *p past it; a byte that does not start a well-formed sequence is
 * U+FFFD and moves one byte. */
static uint32_t next_cp(const char **p)
{
    const unsigned char *s = (const unsigned char *)*p;
    uint32_t cp = s[0];
    int n = cp < 0x80             ? 0
            : (cp & 0xE0) == 0xC0 ? 1
            : (cp & 0xF0) == 0xE0 ? 2
            : (cp & 0xF8) == 0xF0 ? 3
                                  : -1;
    if (n < 0) {
        (*p)++;
        return 0xFFFD;
    }
    cp &= n == 0 ? 0x7F : (uint32_t)(0x3F >> n);
    for (int i = 1; i <= n; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            (*p)++;
            return 0xFFFD;
        }
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    static const uint32_t least[4] = {0, 0x80, 0x800, 0x10000};
    if (cp < least[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp < 0xE000)) {
        (*p)++;
        return 0xFFFD;
    }
    *p += n + 1;
    return cp < 0x20 ? 0xFFFD : cp; /* control characters have no glyph ('\n' is handled) */
}

/* ---- measuring and drawing ---- */

/* The pair's kerning in whole units at px, remembered: looking a pair up in the font's GPOS table
 * costs more than drawing the glyph. */
static int kern(Face f, int px, int left, int right)
{
    static struct {
        uint64_t key; /* 0: empty */
        int value;
    } seen[KERN_SLOTS];
    if (!left || !right)
        return 0;
    uint64_t key =
        ((uint64_t)(f + 1) << 56) | ((uint64_t)px << 40) | ((uint64_t)left << 20) | (uint64_t)right;
    unsigned h = (unsigned)((key * 0x9E3779B97F4A7C15ULL) >> 52) & (KERN_SLOTS - 1);
    if (seen[h].key != key) {
        seen[h].key = key;
        seen[h].value =
            (int)lround(stbtt_GetGlyphKernAdvance(&font(f)->info, left, right) * em_scale(f, px));
    }
    return seen[h].value;
}

/* The width of the line that starts at s (up to '\n' or the end), in units. */
static long long line_width(Face f, int px, const char *s, const char **end)
{
    long long w = 0;
    int prev = 0;
    while (*s && *s != '\n') {
        const Glyph *g = glyph(f, px, 1, next_cp(&s));
        w += g->advance + kern(f, px, prev, g->index);
        prev = g->index;
    }
    *end = s;
    return w < 0 ? 0 : w;
}

/* src into dst, cut to fit at a character boundary (never inside a UTF-8 sequence). */
static void cut_utf8(char *dst, size_t size, const char *src)
{
    size_t n = strlen(src);
    if (n >= size) {
        n = size - 1; /* src[n] is the first byte left out: if it continues a character, so is
                       * the byte that started it */
        while (n > 0 && ((unsigned char)src[n] & 0xC0) == 0x80)
            n--;
    }
    memcpy(dst, src, n);
    dst[n] = '\0';
}

static int clamp_int(long long v)
{
    return v > INT_MAX ? INT_MAX : v < INT_MIN ? INT_MIN : (int)v;
}

static void measure(const char *text, SlTextStyle st, long long *w, long long *h)
{
    const Face f = styles[st].face;
    const int px = styles[st].px;
    long long widest = 0, lines = 0;
    const char *p = text;
    while (p && *p) {
        long long lw = line_width(f, px, p, &p);
        widest = lw > widest ? lw : widest;
        lines++;
        if (*p == '\n')
            p++;
    }
    *w = widest;
    *h = lines * sl_text_height(st);
}

void sl_canvas_text_size(const char *text, SlTextStyle style, int *w, int *h)
{
    long long tw, th;
    measure(text, checked(style), &tw, &th);
    if (w)
        *w = clamp_int(tw);
    if (h)
        *h = clamp_int(th);
}

int sl_text_width(const char *text, SlTextStyle style)
{
    int w;
    sl_canvas_text_size(text, style, &w, NULL);
    return w;
}

/* Blend one glyph's coverage at pixel (x, y) (its bitmap's top-left corner), clipped. */
static void blit(SlCanvas *c, const Glyph *g, long long x, long long y, SlColor color)
{
    SlPxBox b = sl_px_drawable(c);
    long long i0 = x < b.x0 ? b.x0 - x : 0, j0 = y < b.y0 ? b.y0 - y : 0;
    long long i1 = x + g->w > b.x1 ? b.x1 - x : g->w, j1 = y + g->h > b.y1 ? b.y1 - y : g->h;
    for (long long j = j0; j < j1; j++) {
        const unsigned char *cov = g->bitmap + j * g->w;
        uint8_t *p = sl_px_at(c, x + i0, y + j);
        for (long long i = i0; i < i1; i++, p += 4)
            if (cov[i])
                sl_px_cover(p, color, cov[i]);
    }
}

/* Draw one line at pen (x, y) in units, y the top of the line box. */
static void draw_line(SlCanvas *c, long long x, long long y, Face f, int px, const char *s,
                      SlColor color)
{
    long long k = c->scale, base = (y + ascent_px(f, px)) * k;
    long long pen = 0;
    int prev = 0;
    while (*s && *s != '\n') {
        uint32_t cp = next_cp(&s);
        const Glyph *m = glyph(f, px, 1, cp); /* the advance, at the style's size */
        pen += kern(f, px, prev, m->index);
        int advance = m->advance;
        prev = m->index;
        const Glyph *g = k == 1 ? m : glyph(f, px, (int)k, cp);
        if (g->bitmap)
            blit(c, g, (x + pen) * k + g->x0, base + g->y0, color);
        pen += advance;
    }
}

int sl_canvas_text_aligned(SlCanvas *c, int x, int y, SlAlign align, const char *text,
                           SlTextStyle style, SlColor color)
{
    if (!text || !*text)
        return 0;
    SlTextStyle st = checked(style);
    const Face f = styles[st].face;
    const int px = styles[st].px, lh = sl_text_height(st);
    long long tw, th;
    measure(text, st, &tw, &th);
    long long left = align == SL_ALIGN_RIGHT ? x - tw : align == SL_ALIGN_CENTER ? x - tw / 2 : x;
    if (c->recording) {
        char what[sizeof c->items->what];
        cut_utf8(what, sizeof what, text);
        sl_canvas_record(c, SL_ITEM_TEXT, clamp_int(left), y, clamp_int(tw), clamp_int(th),
                         SL_ROLE_NONE, px, what);
    }
    long long k = c->scale;
    SlPxBox b = sl_px_drawable(c);
    if ((left - px) * k >= b.x1 || (left + tw + px) * k <= b.x0 ||
        ((long long)y - px) * k >= b.y1 || ((long long)y + th + px) * k <= b.y0)
        return clamp_int(tw); /* nothing of it would show */
    long long ly = y;
    for (const char *p = text; *p; ly += lh) {
        const char *end;
        long long lw = line_width(f, px, p, &end);
        long long lx = align == SL_ALIGN_RIGHT ? x - lw : align == SL_ALIGN_CENTER ? x - lw / 2 : x;
        draw_line(c, lx, ly, f, px, p, color);
        p = *end == '\n' ? end + 1 : end;
    }
    return clamp_int(tw);
}

int sl_canvas_text(SlCanvas *c, int x, int y, const char *text, SlTextStyle style, SlColor color)
{
    return sl_canvas_text_aligned(c, x, y, SL_ALIGN_LEFT, text, style, color);
}

int sl_text_fit(const char *text, SlTextStyle style, int max_w, char *out, size_t n)
{
    static const char ellipsis[] = "\xE2\x80\xA6"; /* U+2026 */
    if (!n)
        return 0;
    snprintf(out, n, "%s", text ? text : "");
    if (sl_text_width(out, style) <= max_w && strlen(text ? text : "") < n)
        return 0;
    size_t len = strlen(out);
    while (len > 0) {
        do /* back one character */
            len--;
        while (len > 0 && ((unsigned char)out[len] & 0xC0) == 0x80);
        if (len + sizeof ellipsis > n)
            continue;
        memcpy(out + len, ellipsis, sizeof ellipsis);
        if (sl_text_width(out, style) <= max_w)
            return 1;
    }
    snprintf(out, n, "%s",
             sl_text_width(ellipsis, style) <= max_w && n >= sizeof ellipsis ? ellipsis : "");
    return 1;
}
