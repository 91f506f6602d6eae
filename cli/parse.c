/* parse.c: shapelab's command line (CONTRACT.md, "CLI"): the subcommands, their options, usage
 * and help texts, and reading argv into Opts. Nothing here reads a file or runs a command (main.c
 * does), so the fuzz target tests/fuzz/fuzz_cli.c can feed it any argv.
 *
 *   build/shapelab SUBCOMMAND MODEL.py [options]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "canvas.h"
#include "cli.h"

/* Which options each subcommand takes: one letter per option in the table below. */
typedef struct Sub {
    const char *name;
    Command run;
    const char *takes; /* letters of the options below */
    const char *usage, *what;
} Sub;

static const Sub subs[] = {
    {"summary", cmd_summary,
     "ms"
     "e",
     "summary MODEL.py [--explain]",
     "the Keras summary table; --explain adds each layer's parameter formula"},
    {"trace", cmd_trace,
     "ms"
     "btxNk",
     "trace MODEL.py [--timesteps T] [--batch N] [--masks [-x X.npy [--sample N]]]",
     "every tensor's shape (and mask) layer by layer, with the reason it changed"},
    {"init", cmd_init,
     "ms"
     "ro",
     "init MODEL.py [--seed S] -o W.safetensors", "the initial weights, by Keras name"},
    {"predict", cmd_predict,
     "ms"
     "wxoBJ",
     "predict MODEL.py [-w W.safetensors] -x X.npy -o OUT.npy [--threads N]",
     "outputs for X: OUT.npy (one output) or OUT.safetensors (output_0, output_1, ...)"},
    {"train", cmd_train,
     "ms"
     "xywoEBnrvhpVSKRGJ",
     "train MODEL.py -x X.npy -y Y.npy [--sample-weight SW.npy] [-w INIT.safetensors]\n"
     "         -o W.safetensors [--epochs E] [--batch-size B] [--no-shuffle] [--seed S]\n"
     "         [--validation-split F] [--history H.csv] [--plot P.png] [--viz]\n"
     "         [--checkpoint DIR] [--resume DIR] [--no-nan-guard] [--threads N]",
     "fit with the script's compile(): loss, optimizer, metrics; the Keras progress bar"},
    {"gradcheck", cmd_gradcheck,
     "ms"
     "rbtwxD",
     "gradcheck MODEL.py [--seed S] [--batch 2] [--timesteps 5]\n"
     "         | gradcheck MODEL.py -x X.npy --dy DY.npy [-w W.safetensors]",
     "analytic against numerical gradients of every weight and the input, in double; with --dy, "
     "the gradients that the output gradient DY gives to the input and the weights"},
    {"png", cmd_png, "msctbFwoxNZau",
     "png MODEL.py [--scene NAME] [-w W.safetensors] [-x X.npy [--sample N]] [--timesteps T]\n"
     "         [--scale S] [--values] -o OUT.png [--animate] | --frames DIR [--animate]\n"
     "       png --list-scenes",
     "a scene drawn to a PNG, an animated PNG (--animate), or its steps as numbered PNGs; no "
     "display needed"},
    {"viz", cmd_viz, "msctbwQATxNZu",
     "viz MODEL.py [--scene NAME] [-w W.safetensors] [-x X.npy [--sample N]] [--timesteps T]\n"
     "         [--scale S] [--values] [--quit-after-frames N] [--screenshot OUT.png] [--stats]",
     "the live window: space play/pause, arrows step, +/- speed, r restart, s save, h help, q "
     "quit"},
};
enum { N_SUBS = sizeof subs / sizeof subs[0] };

typedef struct OptSpec {
    char letter;
    const char *flag, *alt;
    int takes_value;
} OptSpec;

static const OptSpec specs[] = {
    {'m', "--model", NULL, 1},
    {'s', "--set", NULL, 1},
    {'e', "--explain", NULL, 0},
    {'b', "--batch", NULL, 1},
    {'t', "--timesteps", NULL, 1},
    {'r', "--seed", NULL, 1},
    {'o', "-o", "--output", 1},
    {'w', "-w", "--weights", 1},
    {'x', "-x", NULL, 1},
    {'y', "-y", NULL, 1},
    {'B', "--batch-size", NULL, 1},
    {'E', "--epochs", NULL, 1},
    {'n', "--no-shuffle", NULL, 0},
    {'v', "--validation-split", NULL, 1},
    {'h', "--history", NULL, 1},
    {'p', "--plot", NULL, 1},
    {'V', "--viz", NULL, 0},
    {'S', "--sample-weight", NULL, 1},
    {'c', "--scene", NULL, 1},
    {'F', "--frames", NULL, 1},
    {'Q', "--quit-after-frames", NULL, 1},
    {'T', "--stats", NULL, 0},
    {'A', "--screenshot", NULL, 1},
    {'N', "--sample", NULL, 1},
    {'Z', "--scale", NULL, 1},
    {'a', "--animate", NULL, 0},
    {'u', "--values", NULL, 0},
    {'k', "--masks", NULL, 0},
    {'K', "--checkpoint", NULL, 1},
    {'R', "--resume", NULL, 1},
    {'G', "--no-nan-guard", NULL, 0},
    {'J', "--threads", NULL, 1},
    {'D', "--dy", NULL, 1},
};
enum { N_SPECS = sizeof specs / sizeof specs[0] };

static void usage_of(const Sub *s, FILE *f)
{
    fprintf(f, "usage: shapelab %s\n  %s\n", s->usage, s->what);
    fprintf(f, "common options: --model NAME (default: the model bound to `model`, else the last "
               "built)\n                --set NAME=VALUE (replace a value the script computes "
               "from data)\n                --help\n");
}

static void usage(FILE *f)
{
    fprintf(f, "usage: shapelab SUBCOMMAND MODEL.py [options]   (shapelab SUBCOMMAND --help)\n"
               "       shapelab --version\n\n");
    for (int i = 0; i < N_SUBS; i++)
        fprintf(f, "  %-10s %s\n", subs[i].name, subs[i].what);
    fprintf(f, "\nlayers this build has:");
    for (int i = 0; i < sl_layer_type_count(); i++)
        fprintf(f, "%s %s", i ? "," : "", sl_layer_type_at(i)->name);
    fprintf(f, "\n");
}

static int number(const char *flag, const char *text, double lo, double hi, double *out)
{
    char *end;
    double v = strtod(text, &end);
    if (end == text || *end || !(v >= lo && v <= hi))
        return cli_fail("%s wants a number from %g to %g, got '%s'", flag, lo, hi, text);
    *out = v;
    return 0;
}

/* Store one option's value in o. */
static int store(Opts *o, char letter, const char *flag, const char *val)
{
    double v = 0;
    switch (letter) {
    case 'm':
        o->so.model_name = val;
        return 0;
    case 's': {
        const char *eq = strchr(val, '=');
        if (!eq || eq == val || o->so.n_set >= SL_SCRIPT_MAX_SET)
            return cli_fail("--set wants NAME=VALUE (at most %d), got '%s'", SL_SCRIPT_MAX_SET,
                            val);
        char *name = malloc((size_t)(eq - val) + 1);
        if (!name)
            return cli_fail("out of memory");
        memcpy(name, val, (size_t)(eq - val));
        name[eq - val] = '\0';
        o->so.set_name[o->so.n_set] = name;
        o->so.set_value[o->so.n_set++] = eq + 1;
        return 0;
    }
    case 'e':
        o->explain = 1;
        return 0;
    case 'n':
        o->no_shuffle = 1;
        return 0;
    case 'V':
        o->viz = 1;
        return 0;
    case 'o':
        o->out = val;
        return 0;
    case 'w':
        o->weights = val;
        return 0;
    case 'h':
        o->history = val;
        return 0;
    case 'p':
        o->plot = val;
        return 0;
    case 'S':
        o->sample_weight = val;
        return 0;
    case 'D':
        o->dy = val;
        return 0;
    case 'c':
        o->scene = val;
        return 0;
    case 'F':
        o->frames = val;
        return 0;
    case 'A':
        o->screenshot = val;
        return 0;
    case 'T':
        o->stats = 1;
        return 0;
    case 'a':
        o->animate = 1;
        return 0;
    case 'u':
        o->values = 1;
        return 0;
    case 'k':
        o->masks = 1;
        return 0;
    case 'N':
        if (number(flag, val, 0, 1e9, &v) != 0)
            return 2;
        o->sample = (int)v, o->have_sample = 1;
        return 0;
    case 'Z':
        if (number(flag, val, 1, SL_CANVAS_MAX_SCALE, &v) != 0 || v != (int)v)
            return cli_fail("--scale wants a whole number from 1 to %d, got '%s'",
                            SL_CANVAS_MAX_SCALE, val);
        o->scale = (int)v;
        return 0;
    case 'K':
        o->checkpoint = val;
        return 0;
    case 'R':
        o->resume = val;
        return 0;
    case 'G':
        o->no_nan_guard = 1;
        return 0;
    case 'x':
    case 'y': {
        int *n = letter == 'x' ? &o->n_x : &o->n_y;
        if (*n >= CLI_MAX_FILES)
            return cli_fail("at most %d %s files", CLI_MAX_FILES, flag);
        (letter == 'x' ? o->x : o->y)[(*n)++] = val;
        return 0;
    }
    case 'v':
        return number(flag, val, 0, 0.999, &o->validation_split);
    case 'r':
        if (number(flag, val, 0, 1e18, &v) != 0)
            return 2;
        o->seed = (unsigned long long)v;
        o->have_seed = 1;
        return 0;
    default: /* the integer options */
        if (number(flag, val, 1, 1e7, &v) != 0)
            return 2;
        if (letter == 'b')
            o->batch = (int)v, o->have_batch = 1;
        else if (letter == 't')
            o->timesteps = (int)v, o->have_timesteps = 1;
        else if (letter == 'E')
            o->epochs = (int)v;
        else if (letter == 'B')
            o->batch_size = (int)v;
        else if (letter == 'Q')
            o->quit_after_frames = (int)v;
        else if (letter == 'J')
            o->threads = (int)v;
        return 0;
    }
}

static int parse(Opts *o, const Sub *s, int argc, char **argv)
{
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            o->help = 1;
            continue;
        }
        if (a[0] != '-' || !a[1]) {
            if (o->script)
                return cli_fail("%s takes one MODEL.py; '%s' is extra", s->name, a);
            o->script = a;
            continue;
        }
        const OptSpec *sp = NULL;
        for (int k = 0; k < N_SPECS; k++)
            if (!strcmp(a, specs[k].flag) || (specs[k].alt && !strcmp(a, specs[k].alt)))
                sp = &specs[k];
        if (!sp || !strchr(s->takes, sp->letter))
            return cli_fail("%s does not take %s (see shapelab %s --help)", s->name, a, s->name);
        if (sp->takes_value && i + 1 >= argc)
            return cli_fail("%s needs a value", a);
        if (store(o, sp->letter, a, sp->takes_value ? argv[++i] : NULL) != 0)
            return 2;
    }
    return 0;
}

static int list_scenes(Opts *o)
{
    (void)o;
    return cmd_list_scenes();
}

int cli_parse(int argc, char **argv, Opts *o)
{
    memset(o, 0, sizeof *o);
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("shapelab %s (%s)\n", SL_VERSION, SL_REAL_NAME);
        return 0;
    }
    const Sub *s = NULL;
    for (int i = 0; i < N_SUBS; i++)
        if (!strcmp(argv[1], subs[i].name))
            s = &subs[i];
    if (!s) {
        fprintf(stderr, "shapelab: error: unknown subcommand '%s'\n", argv[1]);
        usage(stderr);
        return 2;
    }
    if (!strcmp(s->name, "png") && argc == 3 && !strcmp(argv[2], "--list-scenes")) {
        o->run = list_scenes;
        return -1;
    }
    o->argv0 = argv[0];
    o->argv = argv;
    o->cmd = s->name;
    o->run = s->run;
    o->so.notices = stderr;
    o->so.out = stdout; /* what the script prints, as Python would */
    /* Keras 2 spellings are worth a word where the model is read, not on every command */
    o->so.spellings = !strcmp(s->name, "summary") || !strcmp(s->name, "trace");
    if (parse(o, s, argc, argv) != 0)
        return 2;
    if (o->help) {
        usage_of(s, stdout);
        return 0;
    }
    if (!o->script)
        return cli_fail("%s needs a MODEL.py (usage: shapelab %s)", s->name, s->usage);
    return -1;
}

void cli_opts_free(Opts *o)
{
    for (int i = 0; i < o->so.n_set; i++)
        free((char *)o->so.set_name[i]);
    o->so.n_set = 0;
}
