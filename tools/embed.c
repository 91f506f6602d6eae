/* embed.c: files as C arrays, so the build can put the fonts inside the program.
 *
 *   embed OUT.c NAME FILE [NAME FILE ...]
 *
 * Each FILE becomes `const unsigned char NAME[]`, its bytes, and `const unsigned long NAME_size`,
 * its length. The bytes are written as string literals of 3-digit octal escapes (printable
 * characters as themselves): a compiler reads one long string far faster than a list of a million
 * numbers, and needs no tool beyond itself (no xxd). Built and run on the build machine; the file
 * it writes is plain C11 for any compiler (emscripten included). OUT.c is written whole or not at
 * all.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { PER_LINE = 24 }; /* bytes per line of the literal */

static int fail(const char *what, const char *path)
{
    fprintf(stderr, "embed: %s %s\n", what, path);
    return 1;
}

/* One file as NAME and NAME_size; 0, or 1 after saying what went wrong. */
static int embed(FILE *out, const char *name, const char *path)
{
    FILE *in = fopen(path, "rb");
    if (!in)
        return fail("cannot read", path);
    unsigned long n = 0;
    int ch;
    fprintf(out, "\n/* %s */\nconst unsigned char %s[] =\n    \"", path, name);
    while ((ch = fgetc(in)) != EOF) {
        /* '?' is escaped too: two of them could start a trigraph in ISO C */
        if (ch >= 0x20 && ch < 0x7f && ch != '"' && ch != '\\' && ch != '?')
            fputc(ch, out);
        else
            fprintf(out, "\\%03o", (unsigned)ch);
        if (++n % PER_LINE == 0)
            fputs("\"\n    \"", out);
    }
    int bad = ferror(in);
    fclose(in);
    if (bad)
        return fail("cannot read all of", path);
    fprintf(out, "\";\nconst unsigned long %s_size = %luUL;\n", name, n);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 4 || argc % 2) {
        fprintf(stderr, "usage: embed OUT.c NAME FILE [NAME FILE ...]\n");
        return 2;
    }
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", argv[1]);
    FILE *out = fopen(tmp, "w");
    if (!out)
        return fail("cannot write", tmp);
    fprintf(out, "/* Written by tools/embed.c during the build: do not edit. */\n");
    int rc = 0;
    for (int i = 2; i + 1 < argc && rc == 0; i += 2)
        rc = embed(out, argv[i], argv[i + 1]);
    if (fclose(out) != 0 && rc == 0)
        rc = fail("cannot write", tmp);
    if (rc == 0 && rename(tmp, argv[1]) != 0)
        rc = fail("cannot rename to", argv[1]);
    if (rc)
        remove(tmp);
    return rc;
}
