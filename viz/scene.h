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

/* What a run is drawn from: the options png and viz take (CONTRACT.md). */
typedef struct SlSceneOptions {
    int batch;           /* samples pushed through; 0: 2 */
    int timesteps;       /* the length of None time axes asked for (--timesteps); 0: not asked */
    int usual_timesteps; /* when not asked and there is no data: this length (0: 8), unless a
                          * scene sizes the axis itself (receptive-field: the whole field) */
    const SlTensor *x;   /* the learner's inputs, one per model input (-x); NULL: a seeded sample */
    int n_x;
    int sample;               /* the sample of x drawn (--sample), first in the batch pushed */
    const SlHistory *history; /* the training scene: a fit's epochs */
} SlSceneOptions;

typedef struct SlSceneRun {
    const struct SlScene *scene;
    SlModel *m;
    int batch, timesteps;
    int timesteps_asked; /* 1: timesteps came from --timesteps or from the data, not the default */
    const SlTensor *x;   /* as in SlSceneOptions */
    int n_x, sample;
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
    /* 1: it draws the learner's own data when given (-x); 0: it draws what it builds itself */
    int draws_data;
    /* Whether it can draw call `node` of m, which a layer's claim named it for: 0 when that
     * model is beyond the picture (not a chain of layers, too many cells). */
    int (*can_draw)(const SlModel *m, int node);
    int (*prepare)(SlSceneRun *run, SlError *e);
    /* Draw the scene `at` a position: step k at k (0 <= k < n_steps), and part of the way from
     * step k to step k + 1 in between (the window's and the APNG's motion). */
    void (*draw)(const SlSceneRun *run, double at, SlCanvas *c);
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
 * samples and the usual `timesteps` for None time axes. history (may be NULL) is for the training
 * scene. */
int sl_scene_start(SlSceneRun *run, const SlScene *s, SlModel *m, int batch, int timesteps,
                   const SlHistory *history, SlError *e);
/* The same with every option. Errors name what does not fit (the data's shape against the
 * model's input, a sample past the data's end). */
int sl_scene_start_with(SlSceneRun *run, const SlScene *s, SlModel *m, const SlSceneOptions *o,
                        SlError *e);
/* The training curves of a history, drawn on a whole canvas (the training scene, --plot). */
void sl_draw_history(SlCanvas *c, const SlHistory *h, const char *title);
void sl_scene_end(SlSceneRun *run);

/* ---- positions between steps ---- */
/* The step a position has reached (clamped to the run's steps) and, in *t, how far it has moved
 * on towards the next one, eased: 0 at the step, rising slowly, then fast, then slowly to 1. */
int sl_scene_step(const SlSceneRun *run, double at, double *t);
double sl_ease(double u);
/* The step whose words a caption shows at `at`: the nearer of the two. */
int sl_scene_caption_step(const SlSceneRun *run, double at);

/* ---- the whole scene as an animation ---- */
/* Every frame of the animation: the still picture (the last step, as `png -o` draws it) first,
 * then from the first step on, each held a while, with eased in-between frames from one step to
 * the next (long scenes: the first steps, then the last). fn gets each frame and how long it is
 * shown; a non-zero return stops. Returns 0 or fn's first non-zero return. */
typedef int (*SlFrameFn)(void *ctx, const SlCanvas *c, int delay_ms, SlError *e);
int sl_scene_animate(const SlSceneRun *run, SlCanvas *c, SlFrameFn fn, void *ctx, SlError *e);
/* The animation as an APNG file whose first frame is the still. */
int sl_scene_write_apng(const SlSceneRun *run, SlCanvas *c, const char *path, SlError *e);

/* The first call of m whose layer is of this kind (SL_KIND_RECURRENT ...), or -1. */
int sl_scene_first_of_kind(const SlModel *m, unsigned kind);
/* The error of a scene that found no layer of its own in run's model: it needs `need` ("a Conv2D
 * layer"). Where the model has a layer of type `type` all the same, one that claims no scene (a
 * grouped or channels_first convolution), the error names it and the scene that draws it. */
int sl_scene_missing(const SlSceneRun *run, const char *type, const char *need, SlError *e);
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

/* The batch for model input k, in a buffer from sl_alloc (the caller frees *buf): the learner's
 * samples from run->sample on when the run has data (-x), else a seeded sample batch in
 * [-1.5, 1.5] (integer codes for an Embedding). */
int sl_scene_input(const SlSceneRun *run, int k, SlTensor *x, sl_real **buf, SlError *e);
/* For scenes: push the sample batch through the model, recording every layer call. */
int sl_scene_record_forward(SlSceneRun *run, SlError *e);
/* What the axes of tensor t of m mean, for its tensor box: "samples x positions" for a (batch, n)
 * tensor that the layers reading it treat as n positions (they add a features axis after it:
 * Embedding, a Reshape to (n, 1)); NULL for the usual meaning of its rank. */
const char *sl_scene_axes(const SlModel *m, int t);
/* A title band across the top, cut to leave reserve_right pixels for a legend (returns its
 * height), and a caption band at the bottom (sl_scene_caption_height pixels tall). */
int sl_scene_title(SlCanvas *c, const char *title, int reserve_right);
void sl_scene_caption(SlCanvas *c, const char *text);
int sl_scene_caption_height(void);

#endif
