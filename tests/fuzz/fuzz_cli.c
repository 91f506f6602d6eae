/* fuzz_cli.c: libFuzzer target for the command line's parser (make fuzz; tests/fuzz/README.md).
 *
 * Each input is an argument list, its arguments separated by NUL bytes, after "shapelab". It is
 * read by cli_parse as main() reads argv; nothing is run. Run with -close_fd_mask=3: usage texts
 * and errors go to stdout and stderr.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

enum { MAX_ARGS = 64 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1), *argv[MAX_ARGS + 1];
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    int argc = 0;
    argv[argc++] = "shapelab";
    for (char *p = text; p < text + size && argc < MAX_ARGS; p += strlen(p) + 1)
        argv[argc++] = p;
    argv[argc] = NULL;
    Opts o;
    cli_parse(argc, argv, &o);
    cli_opts_free(&o);
    free(text);
    return 0;
}
