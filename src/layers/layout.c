/* layout.c: data_format='channels_first' at a layer's boundary (layout.h). */
#include "layout.h"

#include <ctype.h>
#include <string.h>

int sl_data_format_read(const SlBound *b, int *channels_first, SlError *e)
{
    const char *f = sl_bound_str(b, "data_format");
    char low[32] = "";
    *channels_first = 0;
    if (!f) /* None: keras.config.image_data_format(), 'channels_last' */
        return 0;
    for (size_t i = 0; f[i] && i + 1 < sizeof low; i++)
        low[i] = (char)tolower((unsigned char)f[i]), low[i + 1] = '\0';
    if (strlen(f) < sizeof low && !strcmp(low, "channels_last"))
        return 0;
    if (strlen(f) < sizeof low && !strcmp(low, "channels_first")) {
        *channels_first = 1;
        return 0;
    }
    return sl_errorf(e,
                     "The `data_format` argument must be one of {'channels_first', "
                     "'channels_last'}. Received: data_format=%s",
                     f);
}

SlShape sl_shape_channels_last(const SlShape *first)
{
    SlShape s = *first;
    if (s.rank <= 2)
        return s;
    for (int a = 2; a < s.rank; a++)
        s.dim[a - 1] = first->dim[a];
    s.dim[s.rank - 1] = first->dim[1];
    return s;
}

SlShape sl_shape_channels_first(const SlShape *last)
{
    SlShape s = *last;
    if (s.rank <= 2)
        return s;
    s.dim[1] = last->dim[s.rank - 1];
    for (int a = 2; a < s.rank; a++)
        s.dim[a] = last->dim[a - 1];
    return s;
}

/* The sizes of a channels_first shape: batch, channels, and the cells of one channel. */
static void sizes(const SlShape *first, size_t *B, size_t *C, size_t *S)
{
    *B = (size_t)first->dim[0];
    *C = first->rank >= 2 ? (size_t)first->dim[1] : 1;
    *S = *B && *C ? sl_shape_count(first) / (*B * *C) : 0;
}

void sl_move_channels_last(sl_real *last, const sl_real *first, const SlShape *first_shape)
{
    size_t B, C, S;
    sizes(first_shape, &B, &C, &S);
    for (size_t b = 0; b < B; b++)
        for (size_t c = 0; c < C; c++)
            for (size_t s = 0; s < S; s++)
                last[(b * S + s) * C + c] = first[(b * C + c) * S + s];
}

void sl_add_channels_first(sl_real *first, const sl_real *last, const SlShape *first_shape)
{
    size_t B, C, S;
    sizes(first_shape, &B, &C, &S);
    for (size_t b = 0; b < B; b++)
        for (size_t c = 0; c < C; c++)
            for (size_t s = 0; s < S; s++)
                first[(b * C + c) * S + s] += last[(b * S + s) * C + c];
}

SlInfer sl_infer_channels_last(const SlInfer *io, int channels_first)
{
    SlInfer r = *io;
    for (int k = 0; channels_first && k < io->n_in; k++)
        r.in[k] = sl_shape_channels_last(&io->in[k]);
    for (int k = 0; channels_first && k < io->n_out; k++)
        r.out[k] = sl_shape_channels_last(&io->out[k]);
    return r;
}

void sl_channels_first_scratch(const SlInfer *io, int slot, SlScratchDecl *d)
{
    size_t nx = sl_shape_count(&io->in[0]), ny = sl_shape_count(&io->out[0]);
    sl_scratch_skip_to(d, slot);
    d->name[slot] = "x with the channels last";
    d->count[slot] = nx;
    d->name[slot + 1] = "y with the channels last";
    d->count[slot + 1] = ny;
    d->name[slot + 2] = "dy with the channels last";
    d->count[slot + 2] = ny;
    d->name[slot + 3] = "dx with the channels last";
    d->count[slot + 3] = nx;
    d->n = slot + 4;
}

/* The call as the channels_last loops see it: its tensors on the buffers from slot `slot`. */
static SlPass pass_channels_last(const SlPass *p, int slot)
{
    SlPass q = *p;
    SlShape xs = sl_shape_channels_last(&p->x[0].shape),
            ys = sl_shape_channels_last(&p->y[0].shape);
    q.x[0] = sl_tensor(xs, p->scratch[slot]);
    q.y[0] = sl_tensor(ys, p->scratch[slot + 1]);
    q.dy[0] = sl_tensor(ys, p->scratch[slot + 2]);
    q.dx[0] = sl_tensor(xs, p->scratch[slot + 3]);
    return q;
}

void sl_channels_first_forward(SlLayer *l, SlPass *p, int channels_first, int slot,
                               void (*forward)(SlLayer *, SlPass *))
{
    if (!channels_first) {
        forward(l, p);
        return;
    }
    SlPass q = pass_channels_last(p, slot);
    sl_move_channels_last(q.x[0].data, p->x[0].data, &p->x[0].shape);
    forward(l, &q);
    memset(p->y[0].data, 0, sl_tensor_count(&p->y[0]) * sizeof *p->y[0].data);
    sl_add_channels_first(p->y[0].data, q.y[0].data, &p->y[0].shape);
}

void sl_channels_first_backward(SlLayer *l, SlPass *p, int channels_first, int slot,
                                void (*backward)(SlLayer *, SlPass *))
{
    if (!channels_first) {
        backward(l, p);
        return;
    }
    SlPass q = pass_channels_last(p, slot);
    sl_move_channels_last(q.dy[0].data, p->dy[0].data, &p->dy[0].shape);
    memset(q.dx[0].data, 0, sl_tensor_count(&q.dx[0]) * sizeof *q.dx[0].data);
    backward(l, &q);
    sl_add_channels_first(p->dx[0].data, q.dx[0].data, &p->dx[0].shape);
}
