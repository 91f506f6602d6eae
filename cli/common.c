/* common.c: what the subcommands share: errors, loading the script, weights, data files. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "files.h"

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

/* A file a command is given: the option that names it, and its path. */
typedef struct Named {
    const char *flag, *path;
} Named;

static int add_named(Named *list, int n, const char *flag, const char *path)
{
    if (path)
        list[n++] = (Named){flag, path};
    return n;
}

int cli_check_files(const Opts *o)
{
    Named in[3 + 2 * CLI_MAX_FILES], out[4];
    int n_in = 0, n_out = 0;
    SlError e;
    n_in = add_named(in, n_in, "MODEL.py", o->script);
    n_in = add_named(in, n_in, "-w", o->weights);
    n_in = add_named(in, n_in, "--sample-weight", o->sample_weight);
    for (int k = 0; k < o->n_x; k++)
        n_in = add_named(in, n_in, "-x", o->x[k]);
    for (int k = 0; k < o->n_y; k++)
        n_in = add_named(in, n_in, "-y", o->y[k]);
    n_out = add_named(out, n_out, "-o", o->out);
    n_out = add_named(out, n_out, "--history", o->history);
    n_out = add_named(out, n_out, "--plot", o->plot);
    n_out = add_named(out, n_out, "--screenshot", o->screenshot);
    for (int i = 0; i < n_out; i++) {
        if (sl_check_output(out[i].path, &e) < 0)
            return cli_fail("%s", e.msg);
        for (int k = 0; k < n_in; k++)
            if (sl_same_file(out[i].path, in[k].path))
                return cli_fail("%s %s is the same file as %s %s: the output would overwrite the "
                                "input; write it to another file",
                                out[i].flag, out[i].path, in[k].flag, in[k].path);
        for (int k = 0; k < i; k++)
            if (sl_same_file(out[i].path, out[k].path))
                return cli_fail("%s %s and %s %s are the same file; give each output its own",
                                out[k].flag, out[k].path, out[i].flag, out[i].path);
    }
    return 0;
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

static int no_samples_axis(const char *path)
{
    return cli_fail("%s: a 0-d array has no samples axis; save an array of shape (samples, ...)",
                    path);
}

int cli_peek_arrays(const char *const *paths, int n, SlTensor *t)
{
    SlError e;
    for (int i = 0; i < n; i++) {
        t[i] = sl_tensor(sl_shape_of(0, NULL), NULL);
        if (sl_npy_peek(paths[i], &t[i].shape, &e) < 0)
            return cli_fail("%s", e.msg);
        if (t[i].shape.rank < 1)
            return no_samples_axis(paths[i]);
    }
    return 0;
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
            return no_samples_axis(paths[i]);
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
