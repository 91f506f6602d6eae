/* png.c: the canvas as a PNG file, with stb_image_write.
 *
 * Saved whole or not at all (sl_save_file), so a reader (a test, an image viewer refreshing)
 * never sees half a file, and a failed write leaves nothing behind. This is the one file that
 * compiles stb_image_write; its functions stay private to it (STB_IMAGE_WRITE_STATIC) and its
 * memory comes from the engine's allocator like everything else.
 */
#include "canvas.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "files.h"

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

#define STBIW_MALLOC(size)                sl_alloc(size)
#define STBIW_FREE(p)                     sl_free(p)
#define STBIW_REALLOC_SIZED(p, old, size) png_realloc(p, old, size)
#define STB_IMAGE_WRITE_STATIC
#define STB_IMAGE_WRITE_IMPLEMENTATION
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#include "stb_image_write.h"
#pragma GCC diagnostic pop

typedef struct PngFile {
    const SlCanvas *c;
    FILE *f;
    int err; /* the first failed write's errno */
} PngFile;

static void png_bytes(void *ctx, void *data, int size)
{
    PngFile *p = ctx;
    if (!p->err && fwrite(data, 1, (size_t)size, p->f) != (size_t)size)
        p->err = errno ? errno : EIO;
}

static int fill_png(FILE *f, void *ctx)
{
    PngFile *p = ctx;
    p->f = f;
    const SlCanvas *c = p->c;
    /* stb_image_write reports only success: a failure without a write error is its memory */
    if (!stbi_write_png_to_func(png_bytes, p, c->w, c->h, 4, c->rgba, c->w * 4) && !p->err)
        p->err = ENOMEM;
    return p->err;
}

int sl_canvas_write_png(const SlCanvas *c, const char *path, SlError *e)
{
    if (!c->rgba || c->w < 1 || c->h < 1)
        return sl_errorf(e, "%s: cannot save the PNG: the canvas has no pixels", path);
    if ((size_t)c->w > (size_t)(0x7fffffff / 4))
        return sl_errorf(e, "%s: cannot save the PNG: %d pixels is too wide", path, c->w);
    PngFile p = {c, NULL, 0};
    return sl_save_file(path, fill_png, &p, e);
}
