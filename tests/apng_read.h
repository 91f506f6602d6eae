/* apng_read.h: an animated PNG reader for the tests, written apart from viz/png.c so that it can
 * disagree with it: its own chunk walk, a bitwise CRC-32 (not a table), the APNG rules checked
 * (acTL before the first IDAT, one fcTL per frame, sequence numbers 0, 1, 2, ... over fcTL and
 * fdAT, the first frame the whole picture), and each frame's rows decoded by stb_image from a PNG
 * rebuilt out of the frame's own header and data. Frames are composed as a viewer does
 * (dispose_op NONE; blend_op SOURCE or OVER) and handed one by one to a callback.
 *
 * Header-only for the test programs that use it; the including file defines stb_image's
 * implementation. */
#ifndef SL_APNG_READ_H
#define SL_APNG_READ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct ApngFrame {
    int x, y, w, h;
    int delay_num, delay_den, dispose, blend;
} ApngFrame;

/* Called with each frame composed: k from 0, the whole picture (w * h * 4 RGBA). Non-zero stops. */
typedef int (*ApngOnFrame)(void *ctx, int k, const unsigned char *rgba, int w, int h,
                           const ApngFrame *f);

typedef struct ApngInfo {
    int w, h, frames, plays; /* from IHDR and acTL */
    int seen;                /* frames read */
    char err[256];           /* what was wrong, when apng_read returns -1 */
} ApngInfo;

static uint32_t apng_get32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void apng_put32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24), p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8), p[3] = (unsigned char)v;
}

static uint32_t apng_crc(const unsigned char *p, size_t n) /* bit by bit */
{
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1)));
    }
    return c ^ 0xFFFFFFFFu;
}

/* Append a chunk to a growing buffer. */
static void apng_chunk(unsigned char **buf, size_t *n, const char *type, const unsigned char *data,
                       size_t len)
{
    unsigned char *b = realloc(*buf, *n + 12 + len);
    if (!b)
        abort();
    apng_put32(b + *n, (uint32_t)len);
    memcpy(b + *n + 4, type, 4);
    if (len)
        memcpy(b + *n + 8, data, len);
    apng_put32(b + *n + 8 + len, apng_crc(b + *n + 4, 4 + len));
    *buf = b, *n += 12 + len;
}

/* Decode one frame's compressed rows (the concatenated payloads) as a PNG of fw x fh. */
static unsigned char *apng_decode(const unsigned char *ihdr, int fw, int fh,
                                  const unsigned char *data, size_t len)
{
    static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    unsigned char hdr[13], *png = malloc(8);
    size_t n = 8;
    if (!png)
        abort();
    memcpy(png, sig, 8);
    memcpy(hdr, ihdr, 13);
    apng_put32(hdr, (uint32_t)fw), apng_put32(hdr + 4, (uint32_t)fh);
    apng_chunk(&png, &n, "IHDR", hdr, 13);
    apng_chunk(&png, &n, "IDAT", data, len);
    apng_chunk(&png, &n, "IEND", NULL, 0);
    int w, h, comp;
    unsigned char *px = stbi_load_from_memory(png, (int)n, &w, &h, &comp, 4);
    free(png);
    if (px && (w != fw || h != fh)) {
        stbi_image_free(px);
        return NULL;
    }
    return px;
}

static int apng_fail(ApngInfo *info, const char *what, long where)
{
    snprintf(info->err, sizeof info->err, "%s (at byte %ld)", what, where);
    return -1;
}

/* Lay the frame's pixels onto the picture as its fcTL says. */
static void apng_compose(unsigned char *canvas, int w, const ApngFrame *f, const unsigned char *px)
{
    for (int y = 0; y < f->h; y++)
        for (int x = 0; x < f->w; x++) {
            const unsigned char *s = px + ((size_t)y * f->w + x) * 4;
            unsigned char *d = canvas + ((size_t)(f->y + y) * w + f->x + x) * 4;
            if (f->blend == 0 || s[3] == 255) {
                memcpy(d, s, 4);
            } else if (s[3]) { /* OVER, partly transparent: the usual compositing */
                for (int k = 0; k < 3; k++)
                    d[k] = (unsigned char)((s[k] * s[3] + d[k] * (255 - s[3]) + 127) / 255);
                d[3] = (unsigned char)(s[3] + (d[3] * (255 - s[3]) + 127) / 255);
            }
        }
}

/* Read and check the APNG at path; 0, or -1 with info->err said. */
static int apng_read(const char *path, ApngInfo *info, ApngOnFrame on_frame, void *ctx)
{
    memset(info, 0, sizeof *info);
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return apng_fail(info, "cannot open the file", 0);
    fseek(fp, 0, SEEK_END);
    long size = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    unsigned char *file = malloc((size_t)size + 1);
    if (!file || fread(file, 1, (size_t)size, fp) != (size_t)size) {
        fclose(fp);
        free(file);
        return apng_fail(info, "cannot read the file", 0);
    }
    fclose(fp);
    int rc = 0, have_actl = 0, have_fctl = 0;
    uint32_t seq = 0;
    unsigned char ihdr[13] = {0}, *canvas = NULL, *data = NULL;
    size_t data_len = 0;
    ApngFrame cur = {0};
    if (size < 8 || memcmp(file, "\x89PNG\r\n\x1A\n", 8))
        rc = apng_fail(info, "no PNG signature", 0);
    long at = 8;
    /* the frame read so far ends where the next fcTL or IEND starts */
    while (rc == 0 && at + 12 <= size) {
        uint32_t len = apng_get32(file + at);
        const unsigned char *type = file + at + 4, *body = file + at + 8;
        if (len > (uint32_t)(size - at - 12)) {
            rc = apng_fail(info, "a chunk runs past the end", at);
            break;
        }
        if (apng_get32(body + len) != apng_crc(type, 4 + (size_t)len)) {
            rc = apng_fail(info, "a chunk's CRC is wrong", at);
            break;
        }
        int is_fctl = !memcmp(type, "fcTL", 4), is_end = !memcmp(type, "IEND", 4);
        if ((is_fctl || is_end) && have_fctl) { /* the frame before is complete */
            unsigned char *px = apng_decode(ihdr, cur.w, cur.h, data, data_len);
            if (!px) {
                rc = apng_fail(info, "a frame's rows do not decode", at);
                break;
            }
            apng_compose(canvas, info->w, &cur, px);
            stbi_image_free(px);
            if (on_frame && on_frame(ctx, info->seen, canvas, info->w, info->h, &cur)) {
                info->seen++;
                break;
            }
            info->seen++;
            data_len = 0;
            have_fctl = 0;
        }
        if (!memcmp(type, "IHDR", 4) && len == 13) {
            memcpy(ihdr, body, 13);
            info->w = (int)apng_get32(body), info->h = (int)apng_get32(body + 4);
            if (body[8] != 8 || body[9] != 6) {
                rc = apng_fail(info, "not 8-bit RGBA", at);
                break;
            }
            canvas = calloc((size_t)info->w * info->h, 4);
            if (!canvas)
                abort();
        } else if (!memcmp(type, "acTL", 4) && len == 8) {
            have_actl = 1;
            info->frames = (int)apng_get32(body), info->plays = (int)apng_get32(body + 4);
        } else if (is_fctl && len == 26) {
            if (apng_get32(body) != seq++) {
                rc = apng_fail(info, "fcTL out of sequence", at);
                break;
            }
            cur = (ApngFrame){(int)apng_get32(body + 12),
                              (int)apng_get32(body + 16),
                              (int)apng_get32(body + 4),
                              (int)apng_get32(body + 8),
                              body[20] << 8 | body[21],
                              body[22] << 8 | body[23],
                              body[24],
                              body[25]};
            if (cur.w < 1 || cur.h < 1 || cur.x < 0 || cur.y < 0 || cur.x + cur.w > info->w ||
                cur.y + cur.h > info->h ||
                (info->seen == 0 && (cur.w != info->w || cur.h != info->h || cur.x || cur.y))) {
                rc = apng_fail(info,
                               "a frame outside the picture (or a first frame that is not "
                               "all of it)",
                               at);
                break;
            }
            have_fctl = 1;
        } else if (!memcmp(type, "IDAT", 4) || !memcmp(type, "fdAT", 4)) {
            int fd = type[0] == 'f';
            if (!have_actl || !have_fctl || (fd && info->seen == 0) || (!fd && info->seen > 0)) {
                rc = apng_fail(info, "frame data out of place", at);
                break;
            }
            if (fd && apng_get32(body) != seq++) {
                rc = apng_fail(info, "fdAT out of sequence", at);
                break;
            }
            size_t n = len - (fd ? 4 : 0);
            unsigned char *d = realloc(data, data_len + n + 1);
            if (!d)
                abort();
            memcpy(d + data_len, body + (fd ? 4 : 0), n);
            data = d, data_len += n;
        }
        at += 12 + (long)len;
        if (is_end)
            break;
    }
    if (rc == 0 && info->frames != info->seen && !(on_frame && info->seen < info->frames))
        rc = apng_fail(info, "acTL's frame count is not the number of frames", at);
    free(data);
    free(canvas);
    free(file);
    return rc;
}

#endif
