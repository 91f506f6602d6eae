/* deflate.h: a fast zlib stream for the PNG writer (deflate.c). */
#ifndef SL_DEFLATE_H
#define SL_DEFLATE_H

/* data_len bytes as a zlib stream in memory from sl_alloc (*out_len bytes), or NULL when memory
 * runs out. */
unsigned char *sl_deflate_zlib(const unsigned char *data, int data_len, int *out_len);

#endif
