/* files.c: opening inputs without blocking, saving through an exclusive temporary file (files.h).
 */
#include "files.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "rng.h"

/* ---- reading ---- */

static const char *kind_of(mode_t mode)
{
    return S_ISDIR(mode)    ? "a directory"
           : S_ISFIFO(mode) ? "a FIFO"
           : S_ISSOCK(mode) ? "a socket"
           : S_ISCHR(mode)  ? "a character device"
           : S_ISBLK(mode)  ? "a block device"
                            : "not a plain file";
}

FILE *sl_open_input(const char *path, unsigned long long *size, SlError *e)
{
    /* O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer, forever */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        sl_errorf(e, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        sl_errorf(e, "%s: cannot read: %s", path, strerror(errno));
        close(fd);
        return NULL;
    }
    if (!S_ISREG(st.st_mode)) {
        sl_errorf(e, "%s: not a regular file (%s); give a file", path, kind_of(st.st_mode));
        close(fd);
        return NULL;
    }
    int flags = fcntl(fd, F_GETFL);
    FILE *f = flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0 ? NULL : fdopen(fd, "rb");
    if (!f) {
        sl_errorf(e, "%s: cannot open: %s", path, strerror(errno));
        close(fd);
        return NULL;
    }
    *size = (unsigned long long)st.st_size;
    return f;
}

/* ---- writing ---- */

/* Create PATH.XXXXXX.tmp exclusively (XXXXXX: six random letters and digits); its name into
 * *tmp (freed by the caller). Returns the descriptor, or -1 with errno set. */
static int create_temporary(const char *path, char **tmp)
{
    static const char digits[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    static uint64_t calls;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    SlRng r = sl_rng((uint64_t)now.tv_nsec ^ (uint64_t)now.tv_sec << 30 ^ (uint64_t)getpid() << 40 ^
                     ++calls);
    size_t n = strlen(path);
    if (!(*tmp = sl_alloc(n + sizeof ".XXXXXX.tmp"))) {
        errno = ENOMEM;
        return -1;
    }
    for (int attempt = 0; attempt < 100; attempt++) {
        char *p = *tmp + n;
        memcpy(*tmp, path, n);
        *p++ = '.';
        for (int k = 0; k < 6; k++)
            *p++ = digits[sl_rng_below(&r, sizeof digits - 1)];
        memcpy(p, ".tmp", sizeof ".tmp");
        int fd = open(*tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
        if (fd >= 0 || errno != EEXIST)
            return fd;
    }
    errno = EEXIST;
    return -1;
}

/* Fill, flush to the disk and close; 0 or an errno value. The file is closed in every case. */
static int fill_and_close(int fd, SlFillFile fill, void *ctx)
{
    FILE *f = fdopen(fd, "wb");
    if (!f) {
        int err = errno ? errno : EIO;
        close(fd);
        return err;
    }
    errno = 0;
    int err = fill(f, ctx);
    if (!err && fflush(f) != 0)
        err = errno ? errno : EIO;
    if (!err && fsync(fd) != 0)
        err = errno ? errno : EIO;
    if (fclose(f) != 0 && !err)
        err = errno ? errno : EIO;
    return err;
}

int sl_save_file(const char *path, SlFillFile fill, void *ctx, SlError *e)
{
    char *tmp = NULL;
    int fd = create_temporary(path, &tmp);
    int err = fd < 0 ? (errno ? errno : EIO) : 0;
    if (fd >= 0) {
        struct stat old;
        if (stat(path, &old) == 0 && S_ISREG(old.st_mode)) /* a replaced file keeps its mode */
            fchmod(fd, old.st_mode & 07777);
        err = fill_and_close(fd, fill, ctx);
        if (!err && rename(tmp, path) != 0)
            err = errno ? errno : EIO;
        if (err)
            unlink(tmp);
    }
    sl_free(tmp);
    if (err)
        return sl_errorf(e, "%s: cannot save: %s", path, strerror(err));
    return 0;
}

/* PATH's folder ("." for a bare name), into buf. */
static void folder_of(const char *path, char *buf, size_t n)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(buf, n, ".");
    else if (slash == path)
        snprintf(buf, n, "/");
    else
        snprintf(buf, n, "%.*s", (int)(slash - path), path);
}

int sl_sync_folder(const char *path, SlError *e)
{
    char dir[4096];
    folder_of(path, dir, sizeof dir);
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int rc = fd >= 0 && fsync(fd) == 0 ? 0 : -1;
    int err = errno;
    if (fd >= 0)
        close(fd);
    return rc == 0 ? 0
                   : sl_errorf(e, "%s: cannot sync its folder %s: %s", path, dir, strerror(err));
}

int sl_check_output(const char *path, SlError *e)
{
    char dir[4096];
    struct stat st;
    if (!path[0] || path[strlen(path) - 1] == '/')
        return sl_errorf(e, "%s: cannot write there: give a file name", path);
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return sl_errorf(e, "%s: cannot write there: it is a directory", path);
    folder_of(path, dir, sizeof dir);
    if (stat(dir, &st) != 0)
        return sl_errorf(e, "%s: cannot write there: %s: %s", path, dir, strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return sl_errorf(e, "%s: cannot write there: %s is not a directory", path, dir);
    if (access(dir, W_OK | X_OK) != 0)
        return sl_errorf(e, "%s: cannot write there: %s: %s", path, dir, strerror(errno));
    return 0;
}

int sl_same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    int ha = stat(a, &sa) == 0, hb = stat(b, &sb) == 0;
    if (ha || hb)
        return ha && hb && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
    /* neither exists yet: the same name in the same folder */
    char da[4096], db[4096];
    folder_of(a, da, sizeof da);
    folder_of(b, db, sizeof db);
    const char *na = strrchr(a, '/') ? strrchr(a, '/') + 1 : a;
    const char *nb = strrchr(b, '/') ? strrchr(b, '/') + 1 : b;
    return !strcmp(na, nb) && stat(da, &sa) == 0 && stat(db, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}
