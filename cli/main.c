/* main.c: the shapelab command line.
 *
 * This is the front door of CONTRACT.md's CLI. The subcommands (summary, trace, init, predict,
 * train, gradcheck, png, viz) arrive with the model-script reader; until then each says so and
 * exits 2, and --version and --help work.
 */
#include <stdio.h>
#include <string.h>

#include "sl.h"

static const char *const subcommands[] = {"summary", "trace",     "init", "predict",
                                          "train",   "gradcheck", "png",  "viz"};

static void usage(FILE *f)
{
    fprintf(f, "usage: shapelab SUBCOMMAND MODEL.py [options]\n"
               "       shapelab --version | --help\n\n"
               "subcommands: summary, trace, init, predict, train, gradcheck, png, viz\n"
               "layers this build knows:");
    for (int i = 0; i < sl_layer_type_count(); i++)
        fprintf(f, "%s %s", i ? "," : "", sl_layer_type_at(i)->name);
    fprintf(f, "\n");
}

int main(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("shapelab %s (%s)\n", SL_VERSION, SL_REAL_NAME);
        return 0;
    }
    for (size_t i = 0; i < sizeof subcommands / sizeof subcommands[0]; i++)
        if (!strcmp(argv[1], subcommands[i])) {
            fprintf(stderr,
                    "shapelab: error: '%s' is not implemented yet (it comes with the "
                    "model-script reader)\n",
                    argv[1]);
            return 2;
        }
    fprintf(stderr, "shapelab: error: unknown subcommand '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
