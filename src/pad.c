/* pad.c: pad_sequences as keras.utils.pad_sequences does it (see pad.h).
 *
 * Row i of the output: with padding 'pre' the sequence's kept steps sit at the end of the row and
 * value fills the front; with 'post' the other way round. A sequence longer than maxlen keeps its
 * last maxlen steps with truncating 'pre', its first maxlen with 'post'. The output is filled with
 * value first, then each kept step is copied in, every number cast to dtype on the way.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "alloc.h"
#include "pad.h"

SlPadOptions sl_pad_defaults(void)
{
    SlPadOptions o = {0, "int32", "pre", "pre", 0.0};
    return o;
}

typedef enum { CAST_INT32, CAST_INT64, CAST_FLOAT32, CAST_FLOAT64 } Cast;

/* What np.asarray(v).astype(dtype) gives, back in the engine's type. */
static sl_real cast(double v, Cast c)
{
    switch (c) {
    case CAST_INT32:
    case CAST_INT64:
        return (sl_real)trunc(v); /* toward zero */
    case CAST_FLOAT32:
        return (sl_real)(float)v;
    default:
        return (sl_real)v;
    }
}

static int pick(const char *s, const char *dflt, const char *const *names, int n, const char *what,
                SlError *e)
{
    s = s ? s : dflt;
    for (int i = 0; i < n; i++)
        if (!strcmp(s, names[i]))
            return i;
    return sl_errorf(e, "pad_sequences: %s '%s' not understood; use %s", what, s,
                     n == 2 ? "'pre' or 'post'" : "'int32', 'int64', 'float32' or 'float64'");
}

/* Every value must fit the integer type: NumPy would wrap it silently, we refuse. */
static int check_range(const SlTensor *s, Cast c, int i, SlError *e)
{
    double lo = c == CAST_INT32 ? -2147483648.0 : -9.2e18,
           hi = c == CAST_INT32 ? 2147483647.0 : 9.2e18;
    size_t n = sl_tensor_count(s);
    for (size_t j = 0; j < n; j++)
        if (!(s->data[j] >= lo && s->data[j] <= hi))
            return sl_errorf(e,
                             "pad_sequences: sequence %d holds %g, which does not fit dtype "
                             "'%s'; pass dtype='float32'",
                             i, (double)s->data[j], c == CAST_INT32 ? "int32" : "int64");
    return 0;
}

int sl_pad_sequences(const SlTensor *seqs, int n, const SlPadOptions *o, SlTensor *out, SlError *e)
{
    static const char *const sides[] = {"pre", "post"};
    static const char *const dtypes[] = {"int32", "int64", "float32", "float64"};
    int pad = pick(o->padding, "pre", sides, 2, "padding", e);
    int cut = pick(o->truncating, "pre", sides, 2, "truncating", e);
    int dt = pick(o->dtype, "int32", dtypes, 4, "dtype", e);
    memset(out, 0, sizeof *out);
    if (pad < 0 || cut < 0 || dt < 0)
        return -1;
    if (n < 1 || o->maxlen < 0)
        return sl_errorf(e,
                         "pad_sequences: needs at least one sequence and maxlen >= 0 (0 for "
                         "None), got %d sequences and maxlen %d",
                         n, o->maxlen);
    int F = 0, longest = 0, rank = 0; /* features per step (0: sequences of numbers) */
    for (int i = 0; i < n; i++) {
        const SlShape *s = &seqs[i].shape;
        int f = s->rank == 2 ? s->dim[1] : 0;
        if (s->rank < 1 || s->rank > 2 || s->dim[0] < 0 || (s->rank == 2 && f < 1))
            return sl_errorf(e,
                             "pad_sequences: sequence %d has rank %d; each must be (len,) or "
                             "(len, features)",
                             i, s->rank);
        if (rank && (s->rank != rank || f != F)) {
            char a[64], b[64];
            return sl_errorf(e,
                             "pad_sequences: sequence %d has shape %s, but sequence 0 has %s; "
                             "every step must have the same shape",
                             i, sl_shape_str(s, a, sizeof a),
                             sl_shape_str(&seqs[0].shape, b, sizeof b));
        }
        rank = s->rank, F = f;
        longest = s->dim[0] > longest ? s->dim[0] : longest;
        if (dt <= CAST_INT64 && check_range(&seqs[i], (Cast)dt, i, e) < 0)
            return -1;
    }
    int T = o->maxlen ? o->maxlen : longest, per = F ? F : 1;
    out->shape = rank == 2 ? sl_shape_of(3, (int[]){n, T, F}) : sl_shape_of(2, (int[]){n, T});
    size_t total = (size_t)n * (size_t)T * (size_t)per;
    if (!(out->data = sl_alloc_zero(total + 1, sizeof(sl_real))))
        return sl_errorf(e, "pad_sequences: out of memory for %zu values", total);
    sl_real fill = cast(o->value, (Cast)dt);
    for (size_t j = 0; j < total; j++)
        out->data[j] = fill;
    for (int i = 0; i < n; i++) {
        int len = seqs[i].shape.dim[0], keep = len < T ? len : T;
        int from = cut == 0 ? len - keep : 0; /* 'pre' drops the beginning */
        int to = pad == 0 ? T - keep : 0;     /* 'pre' pads the front */
        for (int t = 0; t < keep; t++)
            for (int f = 0; f < per; f++)
                out->data[((size_t)i * T + to + t) * per + f] =
                    cast((double)seqs[i].data[(size_t)(from + t) * per + f], (Cast)dt);
    }
    return 0;
}
