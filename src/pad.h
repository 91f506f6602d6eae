/* pad.h: keras.utils.pad_sequences: a list of sequences of different lengths made into one array.
 *
 * Sequence i (shape (len_i,) or (len_i, features)) becomes row i of an (N, maxlen) or
 * (N, maxlen, features) array. Keras's defaults: maxlen None (the longest), dtype 'int32',
 * padding 'pre' (padding goes before the sequence), truncating 'pre' (a long sequence loses its
 * beginning), value 0.0. With dtype 'int32' every value is cast as NumPy's astype does, truncated
 * toward zero: 0.7 becomes 0 and -1.5 becomes -1, silently. Pass dtype 'float32' for real data.
 */
#ifndef SL_PAD_H
#define SL_PAD_H

#include "error.h"
#include "tensor.h"

typedef struct SlPadOptions {
    int maxlen;             /* 0: None, the longest sequence's length */
    const char *dtype;      /* "int32" (NULL too), "int64", "float32" or "float64" */
    const char *padding;    /* "pre" (NULL too) or "post" */
    const char *truncating; /* "pre" (NULL too) or "post" */
    double value;           /* 0.0: what padded steps hold (cast to dtype as well) */
} SlPadOptions;

SlPadOptions sl_pad_defaults(void);
/* out gets a buffer from sl_alloc (release with sl_free(out->data)). Every sequence must have
 * the same feature shape; empty sequences become all padding. */
int sl_pad_sequences(const SlTensor *seqs, int n, const SlPadOptions *o, SlTensor *out, SlError *e);

#endif
