/* png.c: the canvas as a PNG file, with stb_image_write.
 *
 * Written to PATH.tmp and renamed over PATH, so a reader (a test, an image viewer refreshing)
 * never sees half a file, and a failed write leaves nothing behind. This is the one file that
 * compiles stb_image_write; its functions stay private to it (STB_IMAGE_WRITE_STATIC) and its
 * memory comes from the engine's allocator like everything else.
 */
#include "canvas.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"

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

int sl_canvas_write_png(const SlCanvas *c, const char *path, SlError *e)
{
    if (!c->rgba || c->w < 1 || c->h < 1)
        return sl_errorf(e, "%s: cannot write the PNG (the canvas has no pixels)", path);
    if ((size_t)c->w > (size_t)(0x7fffffff / 4))
        return sl_errorf(e, "%s: cannot write the PNG (%d pixels is too wide)", path, c->w);
    size_t n = strlen(path);
    char *tmp = sl_alloc(n + sizeof ".tmp");
    if (!tmp)
        return sl_errorf(e, "%s: cannot write the PNG (out of memory)", path);
    memcpy(tmp, path, n);
    memcpy(tmp + n, ".tmp", sizeof ".tmp");

    /* stb_image_write reports only success; errno says why fopen or a write failed. */
    errno = 0;
    int ok = stbi_write_png(tmp, c->w, c->h, 4, c->rgba, c->w * 4);
    int err = errno;
    if (ok && rename(tmp, path) != 0) {
        ok = 0;
        err = errno;
    }
    if (!ok) {
        remove(tmp);
        sl_free(tmp);
        return sl_errorf(e, "%s: cannot write the PNG (%s)", path,
                         err ? strerror(err) : "stb_image_write failed");
    }
    sl_free(tmp);
    return 0;
}
