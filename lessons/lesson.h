/* lesson.h: what every lesson shares: the banner, steps that pause in a terminal, --quick. */
#ifndef SL_LESSON_H
#define SL_LESSON_H

#include "sl.h"

typedef struct Lesson {
    int quick;       /* --quick: no pauses (CI, make test) */
    int interactive; /* stdin and stdout are terminals */
    int step;
    int viz;             /* --viz: open the window on the lesson's scenes */
    const char *png_dir; /* --png DIR: write the scenes' frames there */
    const char *name;    /* the lesson's file name, for PNG names */
    int shown;           /* scenes shown so far (numbers the PNGs) */
} Lesson;

/* Parse argv (--quick, --help) and print the banner: number, title, the question, what the
 * learner will see, difficulty 1-3 stars. Returns 0, or 1 if the lesson should exit (--help). */
int lesson_begin(Lesson *ls, int argc, char **argv, const char *title, const char *question,
                 const char *you_will_see, int stars);
/* A numbered step heading; pauses first (except before step 1) when interactive. */
void lesson_step(Lesson *ls, const char *heading);
/* Print an engine error the way a learner would meet it. */
void lesson_show_error(const char *what, const SlError *e);
/* Stop the lesson on an error the lesson did not expect. */
void lesson_die(const SlError *e);
/* Stop the lesson (exit 1) when what it shows did not happen; `what` says what went wrong. */
void lesson_expect(int ok, const char *what);
/* Show a scene of a model: in the window (--viz), as numbered PNGs (--png DIR), or not at all.
 * history is for the training scene (else NULL). A scene pushes its own sample batch through m,
 * so the model's outputs (and a stateful layer's states) are the scene's afterwards. */
void lesson_visualize(Lesson *ls, SlModel *m, const char *scene, const SlHistory *h);
/* Run the gradient checker on m with a seeded input of shape `in` (batch axis included, at most
 * 256 values) and print its table. Returns 1 when every tensor passed. */
int lesson_gradcheck(SlModel *m, SlShape in, uint64_t seed);
/* Print a tensor's first rows (a (rows, cols) view of its last axis), with its shape. */
void lesson_print_tensor(const char *name, const SlTensor *t, int max_rows);

#endif
