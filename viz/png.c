/* png.c: the canvas as a PNG file, and a sequence of canvases as an animated PNG (APNG), with
 * stb_image_write.
 *
 * Saved whole or not at all (sl_save_file), so a reader (a test, an image viewer refreshing)
 * never sees half a file, and a failed write leaves nothing behind. This is the one file that
 * compiles stb_image_write; its functions stay private to it (STB_IMAGE_WRITE_STATIC) and its
 * memory comes from the engine's allocator like everything else.
 *
 * Speed: stb tries the five PNG row filters on every row unless told otherwise, and its deflate
 * searches deep; pictures of flat colour and text compress nearly as well with one filter and the
 * quick deflate of deflate.c, in a fraction of the time (make bench).
 *
 * APNG (the PNG extension browsers and GitHub play): the file is an ordinary PNG whose IDAT is the
 * first frame, plus an acTL chunk (the number of frames, looping forever) and, per frame, an fcTL
 * chunk (its rectangle and delay) and fdAT chunks (its compressed rows, as in an IDAT, after a
 * sequence number). Each frame is compressed by stb as a PNG of its own rectangle; its IDAT payload
 * is moved into fdAT chunks with our own CRC (stb's is private to it). A frame after the first is
 * the smallest rectangle that holds every pixel that changed, with the pixels in it that did not
 * change made transparent and drawn over the frame before (blend_op OVER, dispose_op NONE): long
 * runs of transparent pixels compress fast and small. No zlib: a browser build has none to
 * link.
 */
#include "canvas.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "deflate.h"
#include "files.h"

#define STBIW_ZLIB_COMPRESS(data, len, out_len, level) sl_deflate_zlib(data, len, out_len)
#define STBIW_MALLOC(size)                             sl_alloc(size)
#define STBIW_FREE(p)                                  sl_free(p)
#define STBIW_REALLOC_SIZED(p, old, size)              png_realloc(p, old, size)
#define STB_IMAGE_WRITE_STATIC
#define STB_IMAGE_WRITE_IMPLEMENTATION
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wunused-variable"
#pragma GCC diagnostic ignored "-Wunused-parameter"
/* stb_image_write grows its buffers with realloc; the engine's allocator has none, so move. */
static void *png_realloc(void *p, size_t old_size, size_t new_size)
{
    void *q = sl_alloc(new_size);
    if (q && p)
        memcpy(q, p, old_size < new_size ? old_size : new_size);
    if (q)
        sl_free(p);
    return q;
}

#include "stb_image_write.h"
#pragma GCC diagnostic pop

enum { PNG_FILTER = 4 /* Paeth */ };

/* A PNG of w x h RGBA pixels at `pixels` (rows `stride` bytes apart) in memory from sl_alloc, or
 * NULL when memory runs out. */
static unsigned char *encode(const uint8_t *pixels, int stride, int w, int h, int *len)
{
    stbi_write_force_png_filter = PNG_FILTER;
    return stbi_write_png_to_mem(pixels, stride, w, h, 4, len);
}

typedef struct Bytes {
    const unsigned char *data;
    size_t n;
} Bytes;

static int write_all(FILE *f, const void *data, size_t n)
{
    return n == 0 || fwrite(data, 1, n, f) == n ? 0 : (errno ? errno : EIO);
}

static int fill_bytes(FILE *f, void *ctx)
{
    const Bytes *b = ctx;
    return write_all(f, b->data, b->n);
}

static int check_canvas(const SlCanvas *c, const char *path, SlError *e)
{
    if (!c->rgba || c->pw < 1 || c->ph < 1)
        return sl_errorf(e, "%s: cannot save the PNG: the canvas has no pixels", path);
    if ((size_t)c->pw > (size_t)(0x7fffffff / 4))
        return sl_errorf(e, "%s: cannot save the PNG: %d pixels is too wide", path, c->pw);
    return 0;
}

int sl_canvas_write_png(const SlCanvas *c, const char *path, SlError *e)
{
    if (check_canvas(c, path, e) < 0)
        return -1;
    int len;
    unsigned char *png = encode(c->rgba, c->pw * 4, c->pw, c->ph, &len);
    if (!png)
        return sl_errorf(e, "%s: cannot save the PNG: out of memory", path);
    Bytes b = {png, (size_t)len};
    int rc = sl_save_file(path, fill_bytes, &b, e);
    sl_free(png);
    return rc;
}

/* ---- APNG ---- */

/* CRC-32 as PNG defines it (ISO 3309, polynomial 0xEDB88320), over a chunk's type and data. */
static uint32_t crc_update(uint32_t crc, const unsigned char *p, size_t n)
{
    static uint32_t table[256];
    if (!table[1])
        for (uint32_t i = 0; i < 256; i++) {
            uint32_t c = i;
            for (int k = 0; k < 8; k++)
                c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            table[i] = c;
        }
    for (size_t i = 0; i < n; i++)
        crc = table[(crc ^ p[i]) & 0xFF] ^ (crc >> 8);
    return crc;
}

static void put32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24), p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8), p[3] = (unsigned char)v;
}

static uint32_t get32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

typedef struct Frame {
    int x, y, w, h, delay_ms;
    int over;           /* 1: blend_op OVER (unchanged pixels are transparent), 0: SOURCE */
    unsigned char *png; /* the rectangle as a PNG of its own, from stb */
    int len;
} Frame;

struct SlApng {
    int pw, ph;
    uint8_t *prev; /* the last frame's pixels, pw * ph * 4 */
    uint8_t *rect; /* the changed rectangle, unchanged pixels transparent */
    size_t rect_cap;
    Frame *frames;
    int n, cap;
};

SlApng *sl_apng_begin(SlError *e)
{
    SlApng *a = sl_alloc_zero(1, sizeof *a);
    if (!a)
        sl_errorf(e, "out of memory for an animated PNG");
    return a;
}

void sl_apng_free(SlApng *a)
{
    if (!a)
        return;
    for (int i = 0; i < a->n; i++)
        sl_free(a->frames[i].png);
    sl_free(a->frames);
    sl_free(a->prev);
    sl_free(a->rect);
    sl_free(a);
}

int sl_apng_frames(const SlApng *a)
{
    return a->n;
}

/* The smallest rectangle holding every pixel where cur differs from prev; 0 when none does. */
static int changed(const uint8_t *prev, const uint8_t *cur, int pw, int ph, int *x, int *y, int *w,
                   int *h)
{
    size_t row = (size_t)pw * 4;
    int y0 = 0, y1 = ph - 1;
    while (y0 < ph && !memcmp(prev + y0 * row, cur + y0 * row, row))
        y0++;
    if (y0 == ph)
        return 0;
    while (y1 > y0 && !memcmp(prev + y1 * row, cur + y1 * row, row))
        y1--;
    int x0 = pw, x1 = -1;
    const uint32_t *p = (const uint32_t *)(const void *)prev,
                   *q = (const uint32_t *)(const void *)cur;
    for (int yy = y0; yy <= y1; yy++) {
        const uint32_t *a = p + (size_t)yy * pw, *b = q + (size_t)yy * pw;
        int l = 0, r = pw - 1;
        while (l < x0 && a[l] == b[l])
            l++;
        while (r > x1 && a[r] == b[r])
            r--;
        x0 = l < x0 ? l : x0;
        x1 = r > x1 ? r : x1;
    }
    *x = x0, *y = y0, *w = x1 - x0 + 1, *h = y1 - y0 + 1;
    return 1;
}

/* The changed rectangle of c into a->rect with the pixels that did not change made transparent:
 * over the frame before (blend_op OVER) it gives the same picture, and runs of transparent pixels
 * compress to almost nothing, fast. 0 when it cannot be done (no memory, or a changed pixel that is
 * itself not opaque): then the rectangle goes as it is. */
static int changed_only(SlApng *a, const SlCanvas *c, Frame *f)
{
    size_t need = (size_t)f->w * (size_t)f->h * 4;
    if (need > a->rect_cap) {
        uint8_t *r = sl_alloc(need);
        if (!r)
            return 0;
        sl_free(a->rect);
        a->rect = r, a->rect_cap = need;
    }
    for (int y = 0; y < f->h; y++) {
        const uint8_t *now = c->rgba + ((size_t)(f->y + y) * c->pw + (size_t)f->x) * 4;
        const uint8_t *was = a->prev + ((size_t)(f->y + y) * c->pw + (size_t)f->x) * 4;
        uint8_t *out = a->rect + (size_t)y * f->w * 4;
        for (int x = 0; x < 4 * f->w; x += 4) {
            if (!memcmp(now + x, was + x, 4)) {
                memset(out + x, 0, 4);
                continue;
            }
            if (now[x + 3] != 255)
                return 0;
            memcpy(out + x, now + x, 4);
        }
    }
    f->over = 1;
    return 1;
}

int sl_apng_frame(SlApng *a, const SlCanvas *c, int delay_ms, SlError *e)
{
    if (check_canvas(c, "animated PNG", e) < 0)
        return -1;
    size_t bytes = (size_t)c->pw * (size_t)c->ph * 4;
    delay_ms = delay_ms < 1 ? 1 : delay_ms;
    if (a->n == 0) {
        a->pw = c->pw, a->ph = c->ph;
        if (!(a->prev = sl_alloc(bytes)))
            return sl_errorf(e, "out of memory for an animated PNG");
    } else if (c->pw != a->pw || c->ph != a->ph) {
        return sl_errorf(e, "an animated PNG's frames are all %d x %d pixels; this one is %d x %d",
                         a->pw, a->ph, c->pw, c->ph);
    }
    Frame f = {0, 0, c->pw, c->ph, delay_ms, 0, NULL, 0};
    if (a->n > 0 && !changed(a->prev, c->rgba, c->pw, c->ph, &f.x, &f.y, &f.w, &f.h)) {
        a->frames[a->n - 1].delay_ms += delay_ms; /* the same picture: show the last one longer */
        return 0;
    }
    if (a->n == a->cap) {
        int cap = a->cap ? 2 * a->cap : 64;
        Frame *fr = cap < (1 << 24) ? sl_alloc_zero((size_t)cap, sizeof *fr) : NULL;
        if (!fr)
            return sl_errorf(e, "out of memory for an animated PNG of %d frames", a->n + 1);
        if (a->n)
            memcpy(fr, a->frames, (size_t)a->n * sizeof *fr);
        sl_free(a->frames);
        a->frames = fr, a->cap = cap;
    }
    if (a->n == 0 || !changed_only(a, c, &f))
        f.png =
            encode(c->rgba + ((size_t)f.y * c->pw + (size_t)f.x) * 4, c->pw * 4, f.w, f.h, &f.len);
    else
        f.png = encode(a->rect, f.w * 4, f.w, f.h, &f.len);
    if (!f.png)
        return sl_errorf(e, "out of memory for an animated PNG's frame %d", a->n + 1);
    a->frames[a->n++] = f;
    memcpy(a->prev, c->rgba, bytes);
    return 0;
}

/* Writing: chunks go straight to the file, each with its CRC. */
typedef struct Out {
    const SlApng *a;
    FILE *f;
    uint32_t seq; /* fcTL and fdAT share one sequence */
} Out;

static int chunk(Out *o, const char *type, const unsigned char *head, size_t n_head,
                 const unsigned char *data, size_t n_data)
{
    unsigned char len[4], crc[4];
    if (n_head + n_data > 0x7fffffff)
        return EFBIG;
    put32(len, (uint32_t)(n_head + n_data));
    uint32_t c = crc_update(0xFFFFFFFFu, (const unsigned char *)type, 4);
    c = crc_update(c, head, n_head);
    c = crc_update(c, data, n_data);
    put32(crc, c ^ 0xFFFFFFFFu);
    int rc = write_all(o->f, len, 4);
    rc = rc ? rc : write_all(o->f, type, 4);
    rc = rc ? rc : write_all(o->f, head, n_head);
    rc = rc ? rc : write_all(o->f, data, n_data);
    return rc ? rc : write_all(o->f, crc, 4);
}

static int fctl(Out *o, const Frame *fr)
{
    unsigned char b[26];
    int num = fr->delay_ms, den = 1000;
    while (num > 65535) /* the delay is num / den seconds, each a 16-bit number */
        num /= 10, den /= 10;
    put32(b, o->seq++);
    put32(b + 4, (uint32_t)fr->w), put32(b + 8, (uint32_t)fr->h);
    put32(b + 12, (uint32_t)fr->x), put32(b + 16, (uint32_t)fr->y);
    b[20] = (unsigned char)(num >> 8), b[21] = (unsigned char)num;
    b[22] = (unsigned char)(den >> 8), b[23] = (unsigned char)den;
    b[24] = 0;                       /* dispose_op NONE: the next frame draws over this one */
    b[25] = (unsigned char)fr->over; /* SOURCE (0): the rectangle replaces what was there; OVER
                                      * (1): its transparent pixels leave it */
    return chunk(o, "fcTL", b, sizeof b, NULL, 0);
}

/* The frame's compressed rows: its PNG's IDAT payloads, as IDAT (the first frame) or fdAT. */
static int frame_data(Out *o, const Frame *fr, int first)
{
    const unsigned char *p = fr->png + 8, *end = fr->png + fr->len;
    while (p + 12 <= end) {
        uint32_t n = get32(p);
        if (n > (uint32_t)(end - p - 12))
            return EINVAL;
        if (!memcmp(p + 4, "IDAT", 4)) {
            unsigned char seq[4];
            put32(seq, first ? 0 : o->seq);
            int rc =
                first ? chunk(o, "IDAT", NULL, 0, p + 8, n) : chunk(o, "fdAT", seq, 4, p + 8, n);
            if (rc)
                return rc;
            o->seq += !first;
        }
        p += 12 + n;
    }
    return 0;
}

static int fill_apng(FILE *f, void *ctx)
{
    Out *o = ctx;
    const SlApng *a = o->a;
    o->f = f;
    unsigned char actl[8];
    put32(actl, (uint32_t)a->n);
    put32(actl + 4, 0); /* plays: 0 is forever */
    /* the signature and IHDR as stb wrote them for the first frame, which is the whole canvas */
    const Frame *first = &a->frames[0];
    int rc = write_all(f, first->png, 8 + 12 + 13);
    rc = rc ? rc : chunk(o, "acTL", actl, 8, NULL, 0);
    for (int i = 0; i < a->n && !rc; i++) {
        rc = fctl(o, &a->frames[i]);
        rc = rc ? rc : frame_data(o, &a->frames[i], i == 0);
    }
    return rc ? rc : chunk(o, "IEND", NULL, 0, NULL, 0);
}

int sl_apng_finish(SlApng *a, const char *path, SlError *e)
{
    int rc;
    if (!a->n)
        rc = sl_errorf(e, "%s: an animated PNG needs a frame at least", path);
    else if (a->frames[0].len < 8 + 12 + 13 || memcmp(a->frames[0].png + 12, "IHDR", 4))
        rc = sl_errorf(e, "%s: the first frame's PNG does not start with its header", path);
    else {
        Out o = {a, NULL, 0};
        rc = sl_save_file(path, fill_apng, &o, e);
    }
    sl_apng_free(a);
    return rc;
}
