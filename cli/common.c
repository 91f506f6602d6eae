/* common.c: what the subcommands share: errors, loading the script, weights, data files. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

int cli_fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "shapelab: error: ");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return 2;
}

SlScript *cli_load(Opts *o, SlModel **model)
{
    SlError e;
    SlScript *s = sl_script_run(o->script, &o->so, &e);
    if (!s) {
        /* script errors already read "FILE:LINE:COL: error: ..."; file errors get the prefix */
        if (strstr(e.msg, ": error: "))
            fprintf(stderr, "%s\n", e.msg);
        else
            cli_fail("%s", e.msg);
        return NULL;
    }
    *model = sl_script_model(s, &e);
    if (!*model) {
        cli_fail("%s", e.msg);
        sl_script_free(s);
        return NULL;
    }
    return s;
}

int cli_weights(Opts *o, SlModel *m)
{
    SlError e;
    if (m->n_outputs == 0)
        return cli_fail("%s: model '%s' has no input shape, so it is not built; give its first "
                        "layer input_shape=(...) or start it with an Input",
                        o->script, m->name);
    int rc = o->weights ? sl_model_load_weights(m, o->weights, &e) : sl_model_init_params(m, 0, &e);
    if (rc == 1)
        fprintf(stderr,
                "%s: notice: no weight name matches model '%s' (its first is '%s'); loaded by "
                "position, each weight's shape checked, as Keras's load_weights does\n",
                o->weights, m->name, m->param_names[0]);
    return rc < 0 ? cli_fail("%s", e.msg) : 0;
}

int cli_read_arrays(const char *const *paths, int n, SlNpy *arrays, SlTensor *t)
{
    SlError e;
    memset(arrays, 0, (size_t)n * sizeof *arrays);
    for (int i = 0; i < n; i++) {
        if (sl_npy_read(&arrays[i], paths[i], &e) < 0) {
            cli_free_arrays(arrays, i);
            return cli_fail("%s", e.msg);
        }
        if (arrays[i].shape.rank < 1) {
            cli_free_arrays(arrays, i + 1);
            return cli_fail("%s: a 0-d array has no samples axis; save an array of shape "
                            "(samples, ...)",
                            paths[i]);
        }
        t[i] = sl_tensor(arrays[i].shape, arrays[i].data);
    }
    return 0;
}

void cli_free_arrays(SlNpy *arrays, int n)
{
    for (int i = 0; i < n; i++)
        sl_npy_free(&arrays[i]);
}

/* Gradient checks need double precision: the float32 build hands the whole command line over to
 * the double build beside it (build/f64/shapelab next to build/shapelab). */
int cli_run_double(Opts *o, const char *what)
{
#ifdef SL_DOUBLE
    (void)o, (void)what;
    return -1; /* already double: the caller goes on */
#else
    char self[4096], path[4200];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1); /* where this binary is */
    if (n > 0)
        self[n] = '\0';
    else
        snprintf(self, sizeof self, "%s", o->argv0);
    const char *slash = strrchr(self, '/');
    snprintf(path, sizeof path, "%.*sf64/shapelab", slash ? (int)(slash - self + 1) : 0, self);
    if (access(path, X_OK) != 0)
        return cli_fail("%s runs in double precision, in %s, which is missing; run make", what,
                        path);
    execv(path, o->argv);
    return cli_fail("could not run %s", path);
#endif
}
