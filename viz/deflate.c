/* deflate.c: a fast zlib stream (RFC 1950, 1951) for the PNG writer, in place of stb's.
 *
 * stb_image_write compresses with a hash chain searched up to ten deep at every byte, which on a
 * 1280x720 picture takes most of the time a PNG costs, and on an APNG frame that is mostly
 * transparent (unchanged) pixels even more: every candidate of a long run of zeros matches 258
 * bytes. Pictures of flat colour and text need far less: here each byte position looks at one
 * candidate only, the last position with the same next four bytes, and takes the match greedily;
 * long runs become a match per 258 bytes. The codes are deflate's fixed Huffman codes (one block),
 * as stb's are; the stream ends with its Adler-32. Decoders (stb_image in the tests, browsers)
 * read it as any zlib stream.
 */
#include "deflate.h"

#include <stdint.h>
#include <string.h>

#include "alloc.h"

enum { HASH_BITS = 15, WINDOW = 32768, MIN_MATCH = 4, MAX_MATCH = 258 };

typedef struct Bits {
    unsigned char *out;
    size_t n, cap;
    uint32_t acc; /* bits not yet written, the first in the lowest bit */
    int count;
    int failed;
} Bits;

static void put_byte(Bits *b, unsigned char v)
{
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 4096;
        unsigned char *p = cap > b->cap ? sl_alloc(cap) : NULL;
        if (!p) {
            b->failed = 1;
            return;
        }
        if (b->n)
            memcpy(p, b->out, b->n);
        sl_free(b->out);
        b->out = p, b->cap = cap;
    }
    b->out[b->n++] = v;
}

/* n bits of v, lowest first (deflate's order for everything but Huffman codes). */
static void put_bits(Bits *b, uint32_t v, int n)
{
    b->acc |= v << b->count;
    b->count += n;
    while (b->count >= 8) {
        put_byte(b, (unsigned char)b->acc);
        b->acc >>= 8;
        b->count -= 8;
    }
}

/* A Huffman code of n bits, written from its highest bit. */
static void put_code(Bits *b, uint32_t code, int n)
{
    uint32_t r = 0;
    for (int i = 0; i < n; i++)
        r |= ((code >> i) & 1) << (n - 1 - i);
    put_bits(b, r, n);
}

/* The fixed code of a literal/length symbol (RFC 1951, 3.2.6). */
static void put_symbol(Bits *b, int s)
{
    if (s < 144)
        put_code(b, 0x30 + (uint32_t)s, 8);
    else if (s < 256)
        put_code(b, 0x190 + (uint32_t)(s - 144), 9);
    else if (s < 280)
        put_code(b, (uint32_t)(s - 256), 7);
    else
        put_code(b, 0xC0 + (uint32_t)(s - 280), 8);
}

static const uint16_t len_base[29] = {3,  4,  5,  6,   7,   8,   9,   10,  11, 13,
                                      15, 17, 19, 23,  27,  31,  35,  43,  51, 59,
                                      67, 83, 99, 115, 131, 163, 195, 227, 258};
static const uint8_t len_extra[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
                                      2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
static const uint16_t dist_base[30] = {
    1,   2,   3,   4,   5,   7,    9,    13,   17,   25,   33,   49,   65,    97,    129,
    193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577};
static const uint8_t dist_extra[30] = {0, 0, 0, 0, 1, 1, 2, 2,  3,  3,  4,  4,  5,  5,  6,
                                       6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13};

static void put_match(Bits *b, int len, int dist)
{
    int l = 28, d = 29;
    while (len_base[l] > len)
        l--;
    put_symbol(b, 257 + l);
    put_bits(b, (uint32_t)(len - len_base[l]), len_extra[l]);
    while (dist_base[d] > dist)
        d--;
    put_code(b, (uint32_t)d, 5);
    put_bits(b, (uint32_t)(dist - dist_base[d]), dist_extra[d]);
}

static uint32_t hash4(const unsigned char *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return (v * 2654435761u) >> (32 - HASH_BITS);
}

static uint32_t adler32(const unsigned char *p, size_t n)
{
    uint32_t a = 1, b = 0;
    while (n) {
        size_t k = n < 5552 ? n : 5552; /* sums that stay below 2^32 before the modulo */
        n -= k;
        while (k--)
            a += *p++, b += a;
        a %= 65521, b %= 65521;
    }
    return b << 16 | a;
}

unsigned char *sl_deflate_zlib(const unsigned char *data, int data_len, int *out_len)
{
    Bits b = {0};
    size_t n = data_len > 0 ? (size_t)data_len : 0;
    int32_t *head = sl_alloc(sizeof(int32_t) << HASH_BITS);
    if (!head)
        return NULL;
    memset(head, 0xFF, sizeof(int32_t) << HASH_BITS); /* -1: no position yet */
    put_byte(&b, 0x78);                               /* deflate, 32K window */
    put_byte(&b, 0x01); /* fastest; the header's check bits: 0x7801 % 31 == 0 */
    put_bits(&b, 1, 1); /* the last block ... */
    put_bits(&b, 1, 2); /* ... with the fixed codes */
    size_t i = 0;
    while (i < n) {
        int len = 0;
        size_t cand = 0;
        if (i + MIN_MATCH <= n) {
            uint32_t h = hash4(data + i);
            int32_t at = head[h];
            head[h] = (int32_t)i;
            cand = at >= 0 ? (size_t)at : 0;
            if (at >= 0 && i - cand <= WINDOW) {
                size_t max = n - i < MAX_MATCH ? n - i : MAX_MATCH;
                while ((size_t)len < max && data[cand + (size_t)len] == data[i + (size_t)len])
                    len++;
            }
        }
        if (len >= MIN_MATCH) {
            put_match(&b, len, (int)(i - cand));
            i += (size_t)len;
        } else {
            put_symbol(&b, data[i]);
            i++;
        }
    }
    put_symbol(&b, 256); /* the end of the block */
    if (b.count)
        put_bits(&b, 0, 8 - b.count);
    uint32_t a = adler32(data, n);
    for (int k = 3; k >= 0; k--)
        put_byte(&b, (unsigned char)(a >> (8 * k)));
    sl_free(head);
    if (b.failed || b.n > 0x7fffffff) {
        sl_free(b.out);
        return NULL;
    }
    *out_len = (int)b.n;
    return b.out;
}
