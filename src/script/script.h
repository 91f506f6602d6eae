/* script.h: reading a model from Keras code, as it is (CONTRACT.md, "Model scripts").
 *
 * A .py file pasted from a question or a tutorial is tokenized, parsed and evaluated. What builds a
 * model runs through the engine's public API, the same calls a lesson makes: Sequential(), .add(),
 * Input(), layer calls on tensors, Model(inputs, outputs), .compile(), .summary(), assignments,
 * arithmetic, for loops, list comprehensions, simple functions. Imports and comments are ignored.
 * Runtime calls (fit, predict, ...) and statements about data (np.load, X.shape[1], ...) are
 * skipped with one notice each. Anything else is an error "FILE:LINE:COL: error: ..." followed by
 * the line and a caret.
 */
#ifndef SL_SCRIPT_H
#define SL_SCRIPT_H

#include <stdio.h>

#include "error.h"
#include "model.h"

enum { SL_SCRIPT_MAX_SET = 16 };

typedef struct SlScriptOptions {
    int n_set; /* --set NAME=VALUE: values are Python literals; they replace the script's own */
    const char *set_name[SL_SCRIPT_MAX_SET];
    const char *set_value[SL_SCRIPT_MAX_SET];
    const char *model_name; /* --model NAME: the model bound to NAME; default: `model`, else the
                               last one built */
    FILE *notices;          /* skipped statements and Keras 2 spellings (NULL: silent) */
    int spellings;          /* 1: say where a Keras 2 spelling is used (once per script) */
    FILE *out;              /* what the script prints (print(), values on a line of their own),
                               as Python would (NULL: nothing) */
} SlScriptOptions;

typedef struct SlScript SlScript;

/* Run a script file. On error returns NULL and e holds "FILE:LINE:COL: error: ..." with the line
 * and a caret (or "FILE: ..." for problems with the file itself). */
SlScript *sl_script_run(const char *path, const SlScriptOptions *o, SlError *e);
/* The same on text in memory; `name` is what errors call the file. */
SlScript *sl_script_run_text(const char *name, const char *text, size_t len,
                             const SlScriptOptions *o, SlError *e);
/* The chosen model, or NULL with an error when the script built none. */
SlModel *sl_script_model(SlScript *s, SlError *e);
/* line_length of the script's own model.summary(N) call, or 0. */
int sl_script_summary_width(const SlScript *s);
void sl_script_free(SlScript *s);

#endif
