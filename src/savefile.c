/* savefile.c: PATH.tmp, filled, closed, then renamed over PATH (see savefile.h). */
#include "savefile.h"

#include <errno.h>
#include <string.h>

#include "alloc.h"

int sl_save_file(const char *path, SlFillFile fill, void *ctx, SlError *e)
{
    size_t n = strlen(path);
    char *tmp = sl_alloc(n + sizeof ".tmp");
    if (!tmp)
        return sl_errorf(e, "%s: cannot save: out of memory", path);
    memcpy(tmp, path, n);
    memcpy(tmp + n, ".tmp", sizeof ".tmp");
    errno = 0;
    int err = 0;
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        err = errno ? errno : EIO;
    } else {
        err = fill(f, ctx);
        if (fclose(f) != 0 && !err)
            err = errno ? errno : EIO;
        if (!err && rename(tmp, path) != 0)
            err = errno ? errno : EIO;
        if (err)
            remove(tmp);
    }
    sl_free(tmp);
    if (err)
        return sl_errorf(e, "%s: cannot save: %s", path, strerror(err));
    return 0;
}
