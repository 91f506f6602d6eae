/* scene.h: a scene is a sequence of steps drawn from what the engine's trace reported.
 *
 * Adding a scene is one file in viz/ (its SlScene table) and one line in the list in
 * viz/scene.c. A scene prepares a run (usually: push a sample batch through the model and record
 * each layer call), says how many steps it has, and draws any step on a canvas. The window and the
 * PNG writer both call draw; neither knows what a scene shows.
 *
 * Which scene draws a model is not guessed here: each layer type declares the scenes that draw it
 * (SlLayerType.scenes, with a weight and a reason), and a scene says only whether it can draw a
 * claimed layer call (can_draw). sl_scene_best takes the heaviest claim a scene can draw; among
 * equals, the first layer's.
 */
#ifndef SL_SCENE_H
#define SL_SCENE_H

#include "canvas.h"
#include "gradcheck.h"
#include "model.h"
#include "train.h"

enum { SL_VIZ_VALUES = 4096 }; /* values of one sample kept per recorded tensor */

/* One layer call as the trace reported it, copied (events only lend their tensors). */
typedef struct SlVizCall {
    int node;
    SlInfer io;     /* concrete shapes, mask rules */
    char why[256];  /* the engine's sentence */
    int n_out_vals; /* the first sample of output 0, up to SL_VIZ_VALUES values */
    float out_vals[SL_VIZ_VALUES];
    int n_in_vals; /* the first sample of input 0 */
    float in_vals[SL_VIZ_VALUES];
} SlVizCall;

typedef struct SlSceneRun {
    const struct SlScene *scene;
    SlModel *m;
    int batch, timesteps;
    int n_calls; /* the recorded forward pass, in order */
    SlVizCall *calls;
    int n_steps;
    void *priv;               /* the scene's own */
    const SlHistory *history; /* the training scene: a fit's epochs (set before sl_scene_start) */
    /* A scene's own listener (or NULL), set by its prepare around the recording: it hears every
     * event of the recorded forward pass, STEP events included (the lstm scene). */
    const SlObserver *listen;
} SlSceneRun;

typedef struct SlScene {
    const char *name; /* as --scene takes it */
    const char *what; /* one line for --list-scenes */
    /* 1: its numbers only mean something in double (the float32 CLI hands it to build/f64) */
    int in_double;
    /* Whether it can draw call `node` of m, which a layer's claim named it for: 0 when that
     * model is beyond the picture (not a chain of layers, too many cells). */
    int (*can_draw)(const SlModel *m, int node);
    int (*prepare)(SlSceneRun *run, SlError *e);
    void (*draw)(const SlSceneRun *run, int step, SlCanvas *c);
    void (*release)(SlSceneRun *run);
} SlScene;

int sl_scene_count(void);
const SlScene *sl_scene_at(int i);
const SlScene *sl_scene_find(const char *name);
/* The scene for m when none is asked for: the heaviest claim of its layers that the scene can
 * draw (among equals the first layer's), else `shapes`. why (may be NULL) gets the reason, as
 * "lstm (LSTM): the cell unrolled: gates and states step by step". */
const SlScene *sl_scene_best(const SlModel *m, char *why, size_t n);
/* The weight of the heaviest claim on scene s by m's layers that s can draw, 0 if none. */
int sl_scene_claim(const SlModel *m, const SlScene *s);
/* The first call of m whose layer claims scene s and that s can draw, or -1. */
int sl_scene_node(const SlModel *m, const SlScene *s);
/* The part of scene s that shows call `node` (SlSceneClaim.part), or -1 when its layer does not
 * claim s. */
int sl_scene_part(const SlModel *m, const SlScene *s, int node);
/* For scenes that draw any model they are asked for. */
int sl_scene_draws_any(const SlModel *m, int node);

/* Prepare a run of scene s on model m (weights as they are) with a sample batch of `batch`
 * samples and `timesteps` for None time axes. history (may be NULL) is for the training scene. */
int sl_scene_start(SlSceneRun *run, const SlScene *s, SlModel *m, int batch, int timesteps,
                   const SlHistory *history, SlError *e);
/* The training curves of a history, drawn on a whole canvas (the training scene, --plot). */
void sl_draw_history(SlCanvas *c, const SlHistory *h, const char *title);
void sl_scene_end(SlSceneRun *run);

/* The first call of m whose layer is of this kind (SL_KIND_RECURRENT ...), or -1. */
int sl_scene_first_of_kind(const SlModel *m, unsigned kind);
/* For a scene about one layer call (node, -1 when the model has none): record the sample batch's
 * forward pass, give the scene a zeroed private struct of priv_size bytes in run->priv (freed by
 * the scene's release), and return the index of node's recorded call. Errors say what the scene
 * needs (`need`: "a Dense layer"). */
int sl_scene_record_layer(SlSceneRun *run, int node, size_t priv_size, const char *need,
                          SlError *e);
/* A click at (x, y): a scene makes cells clickable by drawing them as a probe (sl_canvas_probe)
 * whose title starts with "pick step" and whose values are step numbers. Returns the step under
 * the click, or -1. */
int sl_scene_pick(const SlCanvas *c, int x, int y);

/* For scenes: push one seeded sample batch through the model, recording every layer call. */
int sl_scene_record_forward(SlSceneRun *run, SlError *e);
/* A title band across the top, cut to leave reserve_right pixels for a legend (returns its
 * height), and a caption band at the bottom (sl_scene_caption_height pixels tall). */
int sl_scene_title(SlCanvas *c, const char *title, int reserve_right);
void sl_scene_caption(SlCanvas *c, const char *text);
int sl_scene_caption_height(void);

#endif
