/* lesson.c: banner, steps and printing shared by the lessons. */
#include "lesson.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int lesson_begin(Lesson *ls, int argc, char **argv, const char *title, const char *question,
                 const char *you_will_see, int stars)
{
    memset(ls, 0, sizeof *ls);
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--quick")) {
            ls->quick = 1;
        } else if (!strcmp(argv[i], "--help")) {
            printf("usage: %s [--quick]\n  --quick  run straight through without pausing\n",
                   argv[0]);
            return 1;
        } else {
            fprintf(stderr, "%s: unknown option '%s' (try --help)\n", argv[0], argv[i]);
            exit(2);
        }
    }
    ls->interactive = !ls->quick && isatty(0) && isatty(1);
    printf("==============================================================================\n");
    printf("  %s   [%s]\n", title, stars >= 3 ? "***" : stars == 2 ? "**" : "*");
    printf("------------------------------------------------------------------------------\n");
    printf("  Question: %s\n", question);
    printf("  You will see: %s\n", you_will_see);
    printf("==============================================================================\n");
    return 0;
}

void lesson_step(Lesson *ls, const char *heading)
{
    if (ls->step > 0 && ls->interactive) {
        printf("\n  [press Enter to go on]");
        fflush(stdout);
        int c;
        while ((c = getchar()) != '\n' && c != EOF)
            ;
    }
    ls->step++;
    printf("\n--- Step %d: %s\n\n", ls->step, heading);
}

void lesson_show_error(const char *what, const SlError *e)
{
    printf("  %s\n    error: %s\n", what, e->msg);
}

void lesson_die(const SlError *e)
{
    fprintf(stderr, "lesson: unexpected error: %s\n", e->msg);
    exit(1);
}

void lesson_print_tensor(const char *name, const SlTensor *t, int max_rows)
{
    char s[96];
    int cols = t->shape.rank ? t->shape.dim[t->shape.rank - 1] : 1;
    size_t rows = cols ? sl_tensor_count(t) / (size_t)cols : 0;
    printf("  %s, shape %s:\n", name, sl_shape_str(&t->shape, s, sizeof s));
    for (size_t r = 0; r < rows && (int)r < max_rows; r++) {
        printf("    [");
        for (int c = 0; c < cols && c < 10; c++)
            printf("%s%7.3f", c ? " " : "", (double)t->data[r * (size_t)cols + (size_t)c]);
        printf("%s]\n", cols > 10 ? " ..." : "");
    }
    if ((int)rows > max_rows)
        printf("    ... (%zu rows in all)\n", rows);
}
