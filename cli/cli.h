/* cli.h: the shapelab command line: options shared by the subcommands, and the subcommands. */
#ifndef SL_CLI_H
#define SL_CLI_H

#include "script/script.h"
#include "sl.h"

enum { CLI_MAX_FILES = SL_MAX_MODEL_IO };

typedef struct Opts Opts;
/* A subcommand: returns the exit code (0 done, 1 a check failed, 2 bad usage or input). */
typedef int (*Command)(Opts *o);

/* Everything any subcommand may be given; each subcommand says which options it takes. */
struct Opts {
    Command run; /* the subcommand */
    const char *argv0;
    char **argv;
    const char *cmd;    /* the subcommand */
    const char *script; /* MODEL.py */
    SlScriptOptions so; /* --model, --set */
    int explain, help, no_shuffle, viz, have_seed, have_batch, have_timesteps, no_nan_guard;
    int animate, values, masks, have_sample;
    unsigned long long seed;
    int batch, timesteps, epochs, batch_size, quit_after_frames, stats, sample, scale;
    int threads; /* --threads: the kernels' threads (0: the default, one) */
    double validation_split;
    const char *out, *weights, *history, *plot, *sample_weight, *scene, *frames, *screenshot;
    const char *checkpoint, *resume; /* folders */
    const char *dy;                  /* gradcheck --dy DY.npy: the output gradient to take back */
    int n_x, n_y;
    const char *x[CLI_MAX_FILES], *y[CLI_MAX_FILES];
};

/* Read the command line into o (cli/parse.c). Returns -1 when there is a command to run (o->run),
 * else the exit code: 0 after --help or --version, 2 after a usage error (said on stderr). Reads
 * no file. Either way, cli_opts_free(o) afterwards. */
int cli_parse(int argc, char **argv, Opts *o);
void cli_opts_free(Opts *o);

int cmd_summary(Opts *o);
int cmd_trace(Opts *o);
int cmd_init(Opts *o);
int cmd_predict(Opts *o);
int cmd_train(Opts *o);
int cmd_gradcheck(Opts *o);
int cmd_png(Opts *o);
int cmd_viz(Opts *o);
int cmd_list_scenes(void);

/* Shared by the subcommands (cli/common.c). */
int cli_fail(const char *fmt, ...) SL_PRINTF(1, 2); /* "shapelab: error: ..." and 2 */
/* Before any work: every output (-o, --history, --plot, --screenshot) can be written, and none is
 * one of the command's inputs or another output, so that a run never damages a file. */
int cli_check_files(const Opts *o);
/* Run the script and pick its model; prints the script's error and returns NULL on failure. */
SlScript *cli_load(Opts *o, SlModel **model);
/* Weights from -w, or the initial weights of seed 0 (CONTRACT.md). */
int cli_weights(Opts *o, SlModel *m);
/* The shapes of -x/-y style .npy files from their headers alone, no value read (data NULL), so
 * that a file of the wrong shape is refused before it is read whole. */
int cli_peek_arrays(const char *const *paths, int n, SlTensor *t);
/* Read -x/-y style .npy files into tensors (data owned by arrays[i]). */
int cli_read_arrays(const char *const *paths, int n, SlNpy *arrays, SlTensor *t);
void cli_free_arrays(SlNpy *arrays, int n);
/* In the float32 build: run this command line in the double build instead (never returns unless
 * that fails: then the error's exit code). In the double build: -1, and the caller goes on. */
int cli_run_double(Opts *o, const char *what);

#endif
