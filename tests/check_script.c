/* check_script.c: the model-script reader (CONTRACT.md, "Model scripts").
 *
 *   1. the shared question scripts (../shared/models): the shapes and parameter counts their
 *      header comments state, or, while a layer they use is not built, the error naming it;
 *   2. the Python subset a script may use, on small texts (sl_script_run_text);
 *   3. the broken-script corpus in tests/scripts/broken/: each file's first line says where the
 *      error must point and what it must say; and the limits against hostile input (file size,
 *      NUL bytes, deep expressions, long scripts), which must end in an error, never a crash or
 *      a hang.
 */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "script/script.h"
#include "sl.h"
#include "testutil.h"

/* ---- helpers ---- */

static const SlScriptOptions quiet; /* no --set, the default model, no notices */

static int count(const char *hay, const char *needle)
{
    int c = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        c++;
    return c;
}

/* ---- 1. the shared question scripts ---- */

/* Each row: the file; built = 1 when the layers it uses exist (then `want` is checked), else the
 * error it gets today: the first not-built layer it creates, at the line and column of its name.
 * The issue that adds a layer flips `built` to 1 on the rows that only waited for it.
 * Shapes and counts are the ones the scripts' header comments state. Where a header gives only
 * parameter counts (03, 07, 07_flat), the shapes follow from the script as written (03: the
 * Input row from Input(shape=(2, 3)); 07: build(None), as in 05). Names are checked only where
 * the header writes them. */
typedef struct ModelRow {
    const char *file;
    int built;
    const char *layer;
    int line, col;
    TuExpect want;
} ModelRow;

static const ModelRow model_rows[] = {
    {"01_lstm_input_shape.py",
     1,
     NULL,
     0,
     0,
     {2, {"(None, 64)", "(None, 30)"}, {16896, 1950}, {"lstm", "dense"}, 18846}},
    {"01_stacked_lstm.py",
     1,
     NULL,
     0,
     0,
     {4,
      {"(None, 8, 32)", "(None, 8, 32)", "(None, 32)", "(None, 10)"},
      {6272, 8320, 8320, 330},
      {NULL},
      23242}},
    {"02_units.py",
     1,
     NULL,
     0,
     0,
     {2, {"(None, 4)", "(None, 1)"}, {128, 5}, {"lstm", "dense"}, 133}},
    {"03_return_state.py",
     1,
     NULL,
     0,
     0,
     {2, {"(None, 2, 3)", "[(None, 2, 1), (None, 1), (None, 1)]"}, {0, 20}, {NULL}, 20}},
    {"04_stateful.py", 1, NULL, 0, 0, {2, {"(1, 4)", "(1, 1)"}, {128, 5}, {"lstm", "dense"}, 133}},
    {"05_variable_length.py",
     1,
     NULL,
     0,
     0,
     {3,
      {"(None, None, 32)", "(None, None, 8)", "(None, None, 2)"},
      {4864, 1312, 18},
      {NULL},
      6194}},
    {"06_masking.py",
     1,
     NULL,
     0,
     0,
     {4,
      {"(None, None, 5)", "(None, None, 32)", "(None, None, 8)", "(None, None, 2)"},
      {0, 4864, 1312, 18},
      {"masking"},
      6194}},
    {"07_transfer_weights.py",
     1,
     NULL,
     0,
     0,
     {3,
      {"(None, None, 32)", "(None, None, 8)", "(None, None, 2)"},
      {4864, 1312, 18},
      {NULL},
      6194}},
    {"07_transfer_weights_flat.py",
     1,
     NULL,
     0,
     0,
     {3,
      {"(None, None, 32)", "(None, None, 8)", "(None, None, 2)"},
      {4864, 1312, 18},
      {NULL},
      6194}},
    {"08_seq2seq_encoder_decoder.py",
     1,
     NULL,
     0,
     0,
     {4,
      {"(None, 32)", "(None, 4, 32)", "(None, 4, 32)", "(None, 4, 5)"},
      {4864, 0, 8320, 165},
      {NULL},
      13349}},
    {"08_seq2seq_reshape.py",
     1,
     NULL,
     0,
     0,
     {6,
      {"(None, 100, 32)", "(None, 100, 32)", "(None, 100, 5)", "(None, 4, 125)", "(None, 4, 5)",
       "(None, 4, 5)"},
      {4864, 8320, 165, 0, 630, 0},
      {NULL},
      13979}},
    {"09_timedistributed.py",
     1,
     NULL,
     0,
     0,
     {4,
      {"(None, 100, 32)", "(None, 100, 32)", "(None, 100, 5)", "(None, 100, 5)"},
      {4864, 8320, 165, 0},
      {NULL},
      13349}},
    {"10_causal_dilated.py",
     1,
     "Conv1D",
     9,
     11,
     {5,
      {"(None, None, 16)", "(None, None, 16)", "(None, None, 16)", "(None, None, 16)",
       "(None, None, 1)"},
      {112, 784, 784, 784, 17},
      {NULL, NULL, NULL, NULL, "dense"},
      2481}},
    {"11_causal_cnn_fixed.py",
     1,
     NULL,
     0,
     0,
     {15,
      {"(None, 5, 10)", "(None, 5, 10, 1)", "(None, 5, 10, 32)", "(None, 5, 10, 32)",
       "(None, 5, 10, 32)", "(None, 5, 10, 32)", "(None, 5, 10, 32)", "(None, 10, 5, 32)",
       "(None, 10, 160)", "(None, 10, 32)", "(None, 10, 32)", "(None, 10, 32)", "(None, 5, 32)",
       "(None, 160)", "(None, 1)"},
      {0, 0, 192, 5152, 5152, 5152, 5152, 0, 0, 25632, 5152, 5152, 0, 0, 161},
      {"permute", "reshape", "time_distributed", "time_distributed_1", "time_distributed_2",
       "time_distributed_3", "time_distributed_4", "permute_1", "reshape_1", "conv1d_5", "conv1d_6",
       "conv1d_7", "max_pooling1d", "flatten", "dense"},
      56897}},
    {"11_causal_cnn_reshape_bug.py",
     1,
     NULL,
     0,
     0,
     {13,
      {"(None, 5, 10, 1)", "(None, 5, 10, 32)", "(None, 5, 10, 32)", "(None, 5, 10, 32)",
       "(None, 5, 10, 32)", "(None, 5, 10, 32)", "(None, 10, 160)", "(None, 10, 32)",
       "(None, 10, 32)", "(None, 10, 32)", "(None, 5, 32)", "(None, 160)", "(None, 1)"},
      {0, 192, 5152, 5152, 5152, 5152, 0, 25632, 5152, 5152, 0, 0, 161},
      {"reshape", NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, "max_pooling1d", "flatten",
       "dense"},
      56897}},
    {"12_conv2d_channels.py",
     1,
     "MaxPooling2D",
     9,
     11,
     {3,
      {"(None, 28, 28, 32)", "(None, 14, 14, 32)", "(None, 14, 14, 64)"},
      {832, 0, 51264},
      {"conv2d", "max_pooling2d", "conv2d_1"},
      52096}},
    {"13_conv_backprop.py", 1, "Conv1D", 7, 11, {1, {"(None, 4, 1)"}, {4}, {"conv1d"}, 4}},
    {"14_multi_output.py",
     1,
     NULL,
     0,
     0,
     {3,
      {"(None, 112)", "(None, 16, 7)", "(None, 16, 7)"},
      {3696, 0, 0},
      {"dense", "reshape", "activation"},
      3696}},
    {"15_regression.py",
     1,
     NULL,
     0,
     0,
     {2, {"(None, 64)", "(None, 1)"}, {896, 65}, {"dense", "dense_1"}, 961}},
    {"16_batchnorm.py",
     1,
     "BatchNormalization",
     10,
     11,
     {6,
      {"(None, 26, 26, 16)", "(None, 26, 26, 16)", "(None, 26, 26, 16)", "(None, 13, 13, 16)",
       "(None, 2704)", "(None, 10)"},
      {144, 64, 0, 0, 0, 27050},
      {"conv2d", "batch_normalization", "activation", "max_pooling2d", "flatten", "dense"},
      27258}},
    {"17_functional_merge.py",
     1,
     "Concatenate",
     12,
     10,
     {8,
      {"(None, 20, 3)", "(None, 5)", "(None, 16)", "(None, 16)", "(None, 32)", "(None, 32)",
       "(None, 32)", "(None, 1)"},
      {0, 0, 1280, 96, 0, 1056, 0, 33},
      {"series", "meta", "lstm", "dense", "concatenate", "dense_1", "add", "dense_2"},
      2465}},
    {"18_conv_transpose.py",
     1,
     NULL,
     0,
     0,
     {2, {"(None, 8, 8, 8)", "(None, 16, 16, 1)"}, {80, 73}, {"conv2d", "conv2d_transpose"}, 153}},
};
enum { N_MODEL_ROWS = sizeof model_rows / sizeof model_rows[0] };

START_TEST(test_shared_model)
{
    const ModelRow *r = &model_rows[_i];
    char path[512];
    snprintf(path, sizeof path, "%s/%s", SL_SHARED_MODELS, r->file);
    /* the row itself: its counts add up to its total (catches a mistyped number early) */
    long sum = 0;
    for (int k = 0; k < r->want.n; k++) {
        ck_assert_msg(r->want.shape[k] != NULL, "%s: row has no shape for layer %d", r->file, k);
        sum += r->want.params[k];
    }
    ck_assert_msg(sum == r->want.total, "%s: the row's counts add up to %ld, its total is %ld",
                  r->file, sum, r->want.total);

    SlError e;
    SlScript *s = sl_script_run(path, &quiet, &e);
    if (!r->built) {
        if (s)
            sl_script_free(s);
        ck_assert_msg(s == NULL, "%s: the script ran; if %s is built now, set built = 1 on its row",
                      path, r->layer);
        char want[640];
        snprintf(want, sizeof want, "%s:%d:%d: error: %s is not implemented yet", path, r->line,
                 r->col, r->layer);
        ck_assert_msg(!strncmp(e.msg, want, strlen(want)), "%s: got\n%s\nexpected it to start\n%s",
                      path, e.msg, want);
        tu_assert_caret(path, e.msg, r->col);
        return;
    }
    ck_assert_msg(s != NULL, "%s: %s", path, e.msg);
    SlModel *m = sl_script_model(s, &e);
    ck_assert_msg(m != NULL, "%s: %s", path, e.msg);
    tu_check_model(path, m, &r->want);
    sl_script_free(s);
}
END_TEST

/* Every script in the shared folder has a row (a new question gets its expectations here). */
START_TEST(test_shared_models_all_listed)
{
    DIR *d = opendir(SL_SHARED_MODELS);
    ck_assert_msg(d != NULL, "cannot open %s (tests run from the repository root)",
                  SL_SHARED_MODELS);
    int n = 0;
    for (struct dirent *de; (de = readdir(d));) {
        size_t len = strlen(de->d_name);
        if (len < 4 || strcmp(de->d_name + len - 3, ".py"))
            continue;
        n++;
        int found = 0;
        for (int i = 0; i < N_MODEL_ROWS; i++)
            found |= !strcmp(model_rows[i].file, de->d_name);
        ck_assert_msg(found, "%s/%s has no row in model_rows", SL_SHARED_MODELS, de->d_name);
    }
    closedir(d);
    ck_assert_msg(n == N_MODEL_ROWS, "%d scripts in %s, %d rows", n, SL_SHARED_MODELS,
                  (int)N_MODEL_ROWS);
}
END_TEST

/* ---- 2. the Python subset ---- */

typedef struct FeatureRow {
    const char *what;
    const char *text;
    TuExpect want;
} FeatureRow;

static const FeatureRow feature_rows[] = {
    {"keras.layers.Dense, keras.Sequential",
     "import keras\n"
     "model = keras.Sequential()\n"
     "model.add(keras.layers.Dense(4, input_shape=(3,)))\n"
     "model.add(keras.layers.Dense(2))\n",
     {2, {"(None, 4)", "(None, 2)"}, {16, 10}, {"dense", "dense_1"}, 26}},
    {"tf.keras.layers.Dense, tf.keras.models.Sequential",
     "import tensorflow as tf\n"
     "model = tf.keras.models.Sequential([\n"
     "    tf.keras.layers.Dense(4, input_shape=(3,)),\n"
     "    tf.keras.layers.Dense(2),\n"
     "])\n",
     {2, {"(None, 4)", "(None, 2)"}, {16, 10}, {"dense", "dense_1"}, 26}},
    {"layers.Dense after from tensorflow.keras import layers",
     "from tensorflow.keras import layers, models\n"
     "model = models.Sequential()\n"
     "model.add(layers.Dense(4, input_shape=(3,)))\n"
     "model.add(layers.Dense(2))\n",
     {2, {"(None, 4)", "(None, 2)"}, {16, 10}, {"dense", "dense_1"}, 26}},
    {"from keras.models import Sequential; numpy ignored",
     "import numpy as np\n"
     "from keras.models import Sequential\n"
     "from keras.layers import Dense\n"
     "np.random.seed(7)\n"
     "model = Sequential()\n"
     "model.add(Dense(4, input_shape=(3,)))\n"
     "model.add(Dense(2))\n",
     {2, {"(None, 4)", "(None, 2)"}, {16, 10}, {"dense", "dense_1"}, 26}},
    {"line continuation in brackets and with a backslash",
     "model = Sequential([\n"
     "    Dense(4,\n"
     "          activation='relu',   # a comment inside brackets\n"
     "\n"
     "          input_shape=(3,)),\n"
     "    Dense(2 +\n"
     "          3),\n"
     "])\n"
     "units = 1 + \\\n"
     "    2\n"
     "model.add(Dense(units))\n",
     {3,
      {"(None, 4)", "(None, 5)", "(None, 3)"},
      {16, 25, 18},
      {"dense", "dense_1", "dense_2"},
      59}},
    {"a tuple without brackets, tuple unpacking",
     "shape = 5, 3\n"
     "timesteps, features = shape\n"
     "units, out = (8, 2)\n"
     "model = Sequential()\n"
     "model.add(Dense(units, input_shape=(timesteps, features)))\n"
     "model.add(Dense(out))\n",
     {2, {"(None, 5, 8)", "(None, 5, 2)"}, {32, 18}, {"dense", "dense_1"}, 50}},
    {"a for loop adding layers, range and len",
     "sizes = [6, 4, 2]\n"
     "model = Sequential()\n"
     "model.add(Dense(8, input_shape=(4,)))\n"
     "for i in range(len(sizes)):\n"
     "    model.add(Dense(sizes[i]))\n",
     {4, {"(None, 8)", "(None, 6)", "(None, 4)", "(None, 2)"}, {40, 54, 28, 10}, {NULL}, 132}},
    {"a for loop with a one-line body",
     "model = Sequential([Dense(8, input_shape=(4,))])\n"
     "for units in (6, 4): model.add(Dense(units))\n",
     {3, {"(None, 8)", "(None, 6)", "(None, 4)"}, {40, 54, 28}, {NULL}, 122}},
    {"a list comprehension [2 ** i for i in range(3)]",
     "sizes = [2 ** i for i in range(3)]\n"
     "model = Sequential()\n"
     "model.add(Dense(8, input_shape=(3,)))\n"
     "for s in sizes:\n"
     "    model.add(Dense(s))\n",
     {4, {"(None, 8)", "(None, 1)", "(None, 2)", "(None, 4)"}, {32, 9, 4, 12}, {NULL}, 57}},
    {"Sequential of a list comprehension, then model.build((None, 3))",
     "model = Sequential([Dense(u) for u in [4, 2]])\n"
     "model.build((None, 3))\n",
     {2, {"(None, 4)", "(None, 2)"}, {16, 10}, {"dense", "dense_1"}, 26}},
    {"model.build((None, 10)) for a Sequential without an input shape",
     "model = Sequential()\n"
     "model.add(Dense(4))\n"
     "model.add(Dense(2))\n"
     "model.build((None, 10))\n",
     {2, {"(None, 4)", "(None, 2)"}, {44, 10}, {"dense", "dense_1"}, 54}},
    {"arithmetic: * // % ** unary minus, Python's floor rules, int and float",
     "a = 16 * 7\n"
     "b = 7 // 2\n"
     "c = -7 // 2\n"
     "d = 7 % 4\n"
     "e = -7 % 3\n"
     "f = 2 ** 3\n"
     "g = -(-4)\n"
     "h = int(3 / 2 * 4)\n"
     "i = 2 * 1.5\n"
     "model = Sequential()\n"
     "model.add(Dense(a, input_shape=(1,)))\n"
     "model.add(Dense(b))\n"
     "model.add(Dense(c + 10))\n"
     "model.add(Dense(d))\n"
     "model.add(Dense(e))\n"
     "model.add(Dense(f))\n"
     "model.add(Dense(g))\n"
     "model.add(Dense(h))\n"
     "model.add(Dense(int(i)))\n"
     "model.add(Dense(20 - 3 * 2 ** 2 - 1))\n",
     {10,
      {"(None, 112)", "(None, 3)", "(None, 6)", "(None, 3)", "(None, 2)", "(None, 8)", "(None, 4)",
       "(None, 6)", "(None, 3)", "(None, 7)"},
      {224, 339, 24, 21, 8, 24, 36, 30, 21, 28},
      {NULL},
      755}},
    {"augmented assignment and sequence arithmetic",
     "units = 2\n"
     "units += 2\n"
     "units *= 3\n"
     "shape = (5,) + (3,)\n"
     "sizes = [4] * 2 + [1]\n"
     "model = Sequential([Dense(units, input_shape=shape)])\n"
     "for s in sizes:\n"
     "    model.add(Dense(s))\n",
     {4,
      {"(None, 5, 12)", "(None, 5, 4)", "(None, 5, 4)", "(None, 5, 1)"},
      {48, 52, 20, 5},
      {NULL},
      125}},
    {"Sequential([...]) with several layer kinds",
     "model = Sequential([Dense(4, input_shape=(3,)), Activation('relu'), Dropout(0.5), "
     "Dense(2)])\n",
     {4,
      {"(None, 4)", "(None, 4)", "(None, 4)", "(None, 2)"},
      {16, 0, 0, 10},
      {"dense", "activation", "dropout", "dense_1"},
      26}},
    {"the functional API: Input, layer calls, Model(inputs=, outputs=)",
     "from keras.models import Model\n"
     "from keras.layers import Input, Dense\n"
     "inputs = Input(shape=(3,))\n"
     "hidden = Dense(4, activation='relu')(inputs)\n"
     "outputs = Dense(2, activation='softmax')(hidden)\n"
     "model = Model(inputs=inputs, outputs=outputs)\n",
     {3,
      {"(None, 3)", "(None, 4)", "(None, 2)"},
      {0, 16, 10},
      {"input_1", "dense", "dense_1"},
      26}},
    {"the merge layers' function spellings: layers.add, layers.concatenate(..., axis=1)",
     "from keras import layers, Input, Model\n"
     "a = Input(shape=(4, 3))\n"
     "b = Input(shape=(4, 3))\n"
     "s = layers.add([a, b])\n"
     "d = layers.subtract([a, b])\n"
     "j = layers.concatenate([s, d], axis=1)\n"
     "model = Model(inputs=[a, b], outputs=j)\n",
     {5,
      {"(None, 4, 3)", "(None, 4, 3)", "(None, 4, 3)", "(None, 4, 3)", "(None, 8, 3)"},
      {0, 0, 0, 0, 0},
      {"input_1", "input_2", "add", "subtract", "concatenate"},
      0}},
    {"imported function spellings: multiply, average, maximum, minimum, concatenate's positional "
     "axis, name=",
     "from keras.layers import Input, multiply, average, maximum, minimum, concatenate\n"
     "from keras.models import Model\n"
     "a = Input(shape=(5,))\n"
     "b = Input(shape=(5,))\n"
     "c = concatenate([multiply([a, b]), average([a, b]), maximum([a, b]),\n"
     "                 minimum(inputs=[a, b], name='low')], -1)\n"
     "model = Model([a, b], c)\n",
     {7,
      {"(None, 5)", "(None, 5)", "(None, 5)", "(None, 5)", "(None, 5)", "(None, 5)", "(None, 20)"},
      {0, 0, 0, 0, 0, 0, 0},
      {"input_1", "input_2", "multiply", "average", "maximum", "low", "concatenate"},
      0}},
    {"layers.dot: axes=-1 by default (Dot itself requires axes), axes= and normalize=",
     "from tensorflow.keras import layers, Model\n"
     "q = layers.Input(shape=(6, 8))\n"
     "k = layers.Input(shape=(7, 8))\n"
     "scores = layers.dot([q, k])\n"
     "cos = layers.dot([q, k], axes=(2, 2), normalize=True)\n"
     "model = Model([q, k], [scores, cos])\n",
     {4,
      {"(None, 6, 8)", "(None, 7, 8)", "(None, 6, 7)", "(None, 6, 7)"},
      {0, 0, 0, 0},
      {"input_1", "input_2", "dot", "dot_1"},
      0}},
    {"a def called with a layer count; names as Keras counts them",
     "def stack(model, sizes):\n"
     "    for s in sizes:\n"
     "        model.add(Dense(s))\n"
     "    return model\n"
     "model = stack(Sequential([Dense(3, input_shape=(2,))]), [4, 5])\n",
     {3,
      {"(None, 3)", "(None, 4)", "(None, 5)"},
      {9, 16, 25},
      {"dense", "dense_1", "dense_2"},
      50}},
    {"x += [...] keeps both lists whole (the sum must not overwrite its right operand)",
     "sizes = [8]\n"
     "sizes += [16]\n"
     "sizes += sizes\n"
     "model = Sequential([Dense(sizes[3], input_shape=(sizes[0] - 5,)), Dense(len(sizes))])\n",
     {2, {"(None, 16)", "(None, 4)"}, {64, 68}, {NULL}, 132}},
    {"powers, shifts and repeats of any size end at once, as Python's do",
     "a = 1 ** 10**18\n"
     "b = (-1) ** (10**18 + 1)\n"
     "c = [] * 5555555555555\n"
     "d = [2] * -5\n"
     "e = (1 << 3) + (-7 >> 1) + (7 >> 70) + (-7 >> 70)\n"
     "model = Sequential([Dense(a + len(c) + len(d) + e - b, input_shape=(2,))])\n",
     {1, {"(None, 5)"}, {15}, {NULL}, 15}},
    {"names with letters outside ASCII, as Python 3 allows",
     "gr\xc3\xb6\xc3\x9f\x65 = 3\n"
     "\xe5\xb1\xa4 = 2\n"
     "model = Sequential([Dense(gr\xc3\xb6\xc3\x9f\x65 * \xe5\xb1\xa4, input_shape=(2,), "
     "name='schicht_\xc3\xb6')])\n",
     {1, {"(None, 6)"}, {18}, {"schicht_\xc3\xb6"}, 18}},
    {"a UTF-8 byte-order mark first, and lines ending in CR alone (old Mac editors)",
     "\xef\xbb\xbfunits = 3\r"
     "model = Sequential()\r"
     "model.add(Dense(units,\r"
     "                input_shape=(2,)))\r",
     {1, {"(None, 3)"}, {9}, {NULL}, 9}},
    {"lines ending in CR LF (Windows), one of them continued by a backslash",
     "units = 3 + \\\r\n"
     "    1\r\n"
     "model = Sequential([Dense(units, input_shape=(2,))])\r\n",
     {1, {"(None, 4)"}, {12}, {NULL}, 12}},
};
enum { N_FEATURE_ROWS = sizeof feature_rows / sizeof feature_rows[0] };

START_TEST(test_feature)
{
    const FeatureRow *r = &feature_rows[_i];
    SlModel *m;
    SlScript *s = tu_script_ok(r->what, r->text, &quiet, &m);
    tu_check_model(r->what, m, &r->want);
    sl_script_free(s);
}
END_TEST

START_TEST(test_comments_everywhere)
{
    const char *text = "\"\"\"A model.\n"
                       "# not a comment: inside the docstring\n"
                       "\"\"\"\n"
                       "# a comment\n"
                       "import keras  # the library\n"
                       "\n"
                       "model = keras.Sequential()   # empty\n"
                       "model.add(keras.layers.Dense(4, input_shape=(3,)))\n"
                       "for units in [2]:  # one more\n"
                       "    # inside the block\n"
                       "\n"
                       "# at the left margin, inside the block\n"
                       "        # deeper: comments set no indentation\n"
                       "    model.add(keras.layers.Dense(units))  # # twice\n"
                       "    # still inside\n"
                       "# after the block\n"
                       "model.add(keras.layers.Dense(1, name='out#1'))  # '#' in a string\n"
                       "model.summary()  # the last line: a comment, no newline";
    const TuExpect want = {
        3, {"(None, 4)", "(None, 2)", "(None, 1)"}, {16, 10, 3}, {"dense", "dense_1", "out#1"}, 29};
    SlModel *m;
    SlScript *s = tu_script_ok("comments everywhere", text, &quiet, &m);
    tu_check_model("comments everywhere", m, &want);
    sl_script_free(s);
}
END_TEST

/* Code as notebooks and tutorials write it, each with its Total params worked by hand. */
static const struct {
    const char *what, *model, *text;
    size_t total;
} pasted[] = {
    /* Conv2D 3*3*1*32+32 = 320, Dense 26*26*32*10+10 = 216330; `unused` is never connected */
    {"keras.Input first in Sequential([...]), compile by position", NULL,
     "import keras\n"
     "from keras import layers\n"
     "model = keras.Sequential([\n"
     "    keras.Input(shape=(28, 28, 1)),\n"
     "    layers.Conv2D(32, kernel_size=(3, 3), activation='relu'),\n"
     "    layers.Flatten(),\n"
     "    layers.Dense(10, activation='softmax'),\n"
     "])\n"
     "unused = layers.Dense(100)\n"
     "model.summary()\n"
     "model.compile('adam', 'sparse_categorical_crossentropy', None, ['accuracy'])\n",
     216650},
    /* Dense 4*2+2 = 10 */
    {"model.add(keras.Input(...))", NULL,
     "model = keras.Sequential()\n"
     "model.add(keras.Input(shape=(4,)))\n"
     "model.add(layers.Dense(2))\n",
     10},
    /* Embedding 100*8 = 800, LSTM 4*(4*(8+4)+4) = 208, LSTM 4*(4*(4+4)+4) = 144, Dense 4+1 = 5;
     * the Dense(7) branch is not on the way to the output */
    {"def with defaults, while, if/elif/else, f-strings, int32 Input, notebook lines", NULL,
     "def build(units=64, depth=2, kind='lstm'):\n"
     "    inputs = keras.Input(shape=(None,), dtype='int32')\n"
     "    x = layers.Embedding(100, 8)(inputs)\n"
     "    i = 0\n"
     "    while i < depth - 1:\n"
     "        if kind == 'lstm':\n"
     "            x = layers.LSTM(units, return_sequences=True, name=f'lstm_{i}')(x)\n"
     "        elif kind == 'gru':\n"
     "            x = layers.GRU(units, return_sequences=True)(x)\n"
     "        else:\n"
     "            x = None\n"
     "        i += 1\n"
     "    x = layers.LSTM(units)(x)\n"
     "    print(x.shape)\n"
     "    side = layers.Dense(7)(x)\n"
     "    outputs = layers.Dense(1)(x)\n"
     "    return keras.Model(inputs, outputs)\n"
     "model = build(units=4)\n"
     "model.layers[1].get_weights()\n"
     "keras.utils.plot_model(model, show_shapes=True)\n"
     "model.output.shape\n",
     1157},
    /* encoder: Dense 8*4+4 = 36; full: that and Dense 4*2+2 = 10 */
    {"two models on one graph, --model encoder", "encoder",
     "inputs = keras.Input(shape=(8,))\n"
     "h = layers.Dense(4)(inputs)\n"
     "out = layers.Dense(2)(h)\n"
     "encoder = keras.Model(inputs, h)\n"
     "full = keras.Model(inputs, out)\n",
     36},
    {"two models on one graph, --model full", "full",
     "inputs = keras.Input(shape=(8,))\n"
     "h = layers.Dense(4)(inputs)\n"
     "out = layers.Dense(2)(h)\n"
     "encoder = keras.Model(inputs, h)\n"
     "full = keras.Model(inputs, out)\n",
     46},
    /* inner: Dense 3*5+5 = 20; outer: inner and Dense 5*1+1 = 6 */
    {"a model as a layer of another", "outer",
     "inner = keras.Sequential([keras.Input(shape=(3,)), layers.Dense(5)])\n"
     "outer = keras.Sequential()\n"
     "outer.add(inner)\n"
     "outer.add(layers.Dense(1))\n",
     26},
};

START_TEST(test_pasted)
{
    SlModel *m;
    SlScriptOptions o = quiet;
    o.model_name = pasted[_i].model;
    SlScript *s = tu_script_ok(pasted[_i].what, pasted[_i].text, &o, &m);
    ck_assert_msg(sl_model_count_params(m) == pasted[_i].total, "%s: %zu params, want %zu",
                  pasted[_i].what, sl_model_count_params(m), pasted[_i].total);
    if (_i == 0) /* Keras 3's order: optimizer, loss, loss_weights, metrics */
        ck_assert_msg(m->compiled && m->opt.kind == SL_OPT_ADAM &&
                          !strcmp(m->loss[0].name, "sparse_categorical_crossentropy") &&
                          m->n_metrics == 1,
                      "compile('adam', 'sparse_categorical_crossentropy', None, ['accuracy'])");
    sl_script_free(s);
}
END_TEST

/* --set x_train.shape=(...) holds where x_train is bound by unpacking a data loader's result. */
START_TEST(test_set_shape_unpacked)
{
    static const char text[] =
        "(x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()\n"
        "model = Sequential([Dense(32, input_shape=[x_train.shape[1]])])\n";
    SlScriptOptions o = quiet;
    o.n_set = 1, o.set_name[0] = "x_train.shape", o.set_value[0] = "(354, 13)";
    SlModel *m;
    SlScript *s = tu_script_ok("--set x_train.shape", text, &o, &m);
    const TuExpect want = {1, {"(None, 32)"}, {13 * 32 + 32}, {"dense"}, 13 * 32 + 32};
    tu_check_model("--set x_train.shape", m, &want);
    sl_script_free(s);
}
END_TEST

/* Two models from one def; `model` is the default, SlScriptOptions.model_name picks another. */
static const char *two_models = "def build(n):\n"
                                "    m = Sequential()\n"
                                "    m.add(Dense(n, input_shape=(3,)))\n"
                                "    return m\n"
                                "\n"
                                "old_model = build(2)\n"
                                "model = build(5)\n"
                                "n_models = 2\n";

START_TEST(test_def_two_models)
{
    SlModel *m;
    SlScript *s = tu_script_ok("two models", two_models, &quiet, &m);
    const TuExpect want = {1, {"(None, 5)"}, {20}, {"dense_1"}, 20};
    tu_check_model("`model`", m, &want);
    sl_script_free(s);

    SlScriptOptions o = quiet;
    o.model_name = "old_model";
    s = tu_script_ok("--model old_model", two_models, &o, &m);
    const TuExpect old = {1, {"(None, 2)"}, {8}, {"dense"}, 8};
    tu_check_model("--model old_model", m, &old);
    sl_script_free(s);

    SlError e;
    o.model_name = "n_models";
    s = sl_script_run_text("t.py", two_models, strlen(two_models), &o, &e);
    ck_assert_msg(s != NULL, "%s", e.msg);
    ck_assert_msg(sl_script_model(s, &e) == NULL, "--model n_models: an int is not a model");
    ck_assert_msg(strstr(e.msg, "'n_models'") && strstr(e.msg, "old_model, model"),
                  "the error names the wanted name and the script's models: %s", e.msg);
    sl_script_free(s);
}
END_TEST

/* Without a `model`, the last model built; without any, an error. */
START_TEST(test_last_model_and_no_model)
{
    SlModel *m;
    SlScript *s = tu_script_ok("last model",
                               "a = Sequential([Dense(2, input_shape=(3,))])\n"
                               "b = Sequential([Dense(7, input_shape=(3,))])\n",
                               &quiet, &m);
    const TuExpect want = {1, {"(None, 7)"}, {28}, {"dense_1"}, 28};
    tu_check_model("last model", m, &want);
    sl_script_free(s);

    SlError e;
    const char *none = "units = 3\n";
    s = sl_script_run_text("t.py", none, strlen(none), &quiet, &e);
    ck_assert_msg(s != NULL, "%s", e.msg);
    ck_assert_msg(sl_script_model(s, &e) == NULL, "a script without a model has no model");
    ck_assert_msg(strstr(e.msg, "t.py") && strstr(e.msg, "no model"), "%s", e.msg);
    sl_script_free(s);
}
END_TEST

START_TEST(test_shared_layer)
{
    SlModel *m;
    SlScript *s = tu_script_ok("shared layer",
                               "from keras.models import Model\n"
                               "from keras.layers import Input, Dense\n"
                               "a = Input(shape=(4,))\n"
                               "b = Input(shape=(4,))\n"
                               "shared = Dense(3, name='shared')\n"
                               "model = Model(inputs=[a, b], outputs=[shared(a), shared(b)], "
                               "name='two_towers')\n",
                               &quiet, &m);
    ck_assert_msg(!strcmp(m->name, "two_towers"), "model name %s", m->name);
    ck_assert_msg(m->n_inputs == 2 && m->n_outputs == 2, "%d inputs, %d outputs", m->n_inputs,
                  m->n_outputs);
    ck_assert_msg(m->n_nodes == 4, "%d calls, expected 2 inputs and 2 calls of one layer",
                  m->n_nodes);
    ck_assert_msg(m->nodes[2].layer == m->nodes[3].layer, "the two calls share one layer");
    ck_assert_msg(!strcmp(m->nodes[2].layer->name, "shared"), "%s", m->nodes[2].layer->name);
    ck_assert_msg(sl_model_count_params(m) == 15, "one set of weights: %zu parameters",
                  sl_model_count_params(m));
    char buf[64];
    for (int k = 0; k < 2; k++)
        ck_assert_msg(
            !strcmp(sl_shape_str(&m->t[m->outputs[k]].shape, buf, sizeof buf), "(None, 3)"),
            "output %d is %s", k, buf);
    sl_script_free(s);
}
END_TEST

/* Keras compiles without a loss (a custom training loop follows); the model is left as built. */
START_TEST(test_compile_without_loss)
{
    SlModel *m;
    SlScript *s = tu_script_ok("compile()",
                               "model = Sequential([Input(shape=(3,)), Dense(2)])\n"
                               "model.compile()\n",
                               &quiet, &m);
    ck_assert_msg(!m->compiled, "compile() without a loss leaves the model uncompiled");
    sl_script_free(s);
}
END_TEST

START_TEST(test_compile_sgd_object)
{
    SlModel *m;
    SlScript *s = tu_script_ok("compile",
                               "from keras.optimizers import SGD\n"
                               "model = Sequential([Dense(1, input_shape=(13,))])\n"
                               "model.compile(loss='mse', optimizer=SGD(learning_rate=0.1))\n",
                               &quiet, &m);
    ck_assert_msg(m->compiled, "compile() ran");
    ck_assert_msg(m->opt.kind == SL_OPT_SGD, "the optimizer is SGD: %s", m->opt.name);
    ck_assert_msg(m->opt.learning_rate == 0.1, "learning_rate %.17g", m->opt.learning_rate);
    ck_assert_msg(m->loss[0].kind == SL_LOSS_MSE, "the loss is mse: %s", m->loss[0].name);
    sl_script_free(s);
}
END_TEST

/* A script with everything that is skipped or only noticed: data, a generator, fit, lr=. */
static const char *noticed =
    "import numpy as np\n"                                                  /* 1 */
    "import keras\n"                                                        /* 2 */
    "from keras.models import Sequential\n"                                 /* 3 */
    "from keras.layers import Dense\n"                                      /* 4 */
    "\n"                                                                    /* 5 */
    "x_train = np.load('x.npy')\n"                                          /* 6 */
    "y_train = np.load('y.npy')\n"                                          /* 7 */
    "\n"                                                                    /* 8 */
    "def batches(x, y):\n"                                                  /* 9 */
    "    while True:\n"                                                     /* 10 */
    "        yield x, y\n"                                                  /* 11 */
    "\n"                                                                    /* 12 */
    "model = Sequential()\n"                                                /* 13 */
    "model.add(Dense(4, activation='relu', input_shape=(3,)))\n"            /* 14 */
    "model.add(Dense(1))\n"                                                 /* 15 */
    "model.compile(loss='mse', optimizer=keras.optimizers.Adam(lr=0.01))\n" /* 16 */
    "model.fit(x_train, y_train, epochs=10, batch_size=32)\n"               /* 17 */
    "model.fit_generator(batches(x_train, y_train), steps_per_epoch=10)\n"  /* 18 */
    "print(model.summary(90))\n";                                           /* 19 */

static char *run_noticed(SlModel **m, SlScript **s)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ck_assert_msg(f != NULL, "open_memstream");
    SlScriptOptions o = quiet;
    o.notices = f;
    o.spellings = 1; /* as summary and trace ask */
    SlError e;
    *s = sl_script_run_text("t.py", noticed, strlen(noticed), &o, &e);
    fclose(f);
    ck_assert_msg(*s != NULL, "the script failed: %s\nnotices:\n%s", e.msg, buf);
    *m = sl_script_model(*s, &e);
    ck_assert_msg(*m != NULL, "%s", e.msg);
    return buf;
}

START_TEST(test_skipped_and_noticed)
{
    SlModel *m;
    SlScript *s;
    char *n = run_noticed(&m, &s);
    const TuExpect want = {2, {"(None, 4)", "(None, 1)"}, {16, 5}, {"dense", "dense_1"}, 21};
    tu_check_model("noticed", m, &want);
    ck_assert_msg(m->compiled && m->opt.kind == SL_OPT_ADAM, "compiled with Adam: %s", m->opt.name);
    ck_assert_msg(fabs(m->opt.learning_rate - 0.01) < 1e-15, "lr=0.01 accepted: %.17g",
                  m->opt.learning_rate);
    ck_assert_msg(sl_script_summary_width(s) == 90, "summary(90): width %d",
                  sl_script_summary_width(s));
    const char *want_notices[] = {
        "t.py:6: notice: skipped a statement about data ('x_train'",
        "t.py:9: notice: skipped generator function 'batches'",
        "t.py:16: notice: lr= is the Keras 2 spelling; Keras 3 writes learning_rate=0.01",
        "t.py:17: notice: skipped model.fit(...): use shapelab train",
        "t.py:18: notice: skipped model.fit_generator(...)",
    };
    for (size_t i = 0; i < sizeof want_notices / sizeof *want_notices; i++)
        ck_assert_msg(strstr(n, want_notices[i]), "no notice \"%s\" in:\n%s", want_notices[i], n);
    free(n);
    sl_script_free(s);
}
END_TEST

/* One notice per thing noticed (CONTRACT: "Skipped with one notice"). */
START_TEST(test_notices_once)
{
    SlModel *m;
    SlScript *s;
    char *n = run_noticed(&m, &s);
    const char *once[] = {"lr= is the Keras 2 spelling", "'x_train'", "'batches'", "model.fit(",
                          "model.fit_generator("};
    for (size_t i = 0; i < sizeof once / sizeof *once; i++)
        ck_assert_msg(count(n, once[i]) == 1, "\"%s\" noticed %d times:\n%s", once[i],
                      count(n, once[i]), n);
    free(n);
    sl_script_free(s);
}
END_TEST

START_TEST(test_summary_width)
{
    SlModel *m;
    SlScript *s = tu_script_ok("summary",
                               "model = Sequential([Dense(1, input_shape=(2,))])\n"
                               "model.summary(line_length=70)\n",
                               &quiet, &m);
    ck_assert_msg(sl_script_summary_width(s) == 70, "width %d", sl_script_summary_width(s));
    sl_script_free(s);
    s = tu_script_ok("no summary", "model = Sequential([Dense(1, input_shape=(2,))])\n", &quiet,
                     &m);
    ck_assert_msg(sl_script_summary_width(s) == 0, "width %d", sl_script_summary_width(s));
    sl_script_free(s);
}
END_TEST

static const char *from_data = "import numpy as np\n"
                               "from keras.models import Sequential\n"
                               "from keras.layers import Dense\n"
                               "X = np.load('x.npy')\n"
                               "timesteps = X.shape[1]\n"
                               "model = Sequential()\n"
                               "model.add(Dense(2, input_shape=(timesteps, 3)))\n";

START_TEST(test_data_needs_set)
{
    char msg[SL_ERROR_MAX];
    tu_script_fail("timesteps from data", from_data, &quiet, msg, sizeof msg);
    ck_assert_msg(!strncmp(msg, "t.py:7:", 7), "the error points at the use: %s", msg);
    ck_assert_msg(strstr(msg, "'timesteps'") && strstr(msg, "--set timesteps="),
                  "names the variable and suggests --set: %s", msg);

    SlScriptOptions o = quiet;
    o.n_set = 1;
    o.set_name[0] = "timesteps";
    o.set_value[0] = "55";
    SlModel *m;
    SlScript *s = tu_script_ok("--set timesteps=55", from_data, &o, &m);
    const TuExpect want = {1, {"(None, 55, 2)"}, {8}, {"dense"}, 8};
    tu_check_model("--set timesteps=55", m, &want);
    sl_script_free(s);
}
END_TEST

/* --set replaces the script's own value, also with a tuple; a bad value is an error naming it. */
START_TEST(test_set_values)
{
    const char *text = "shape = (5, 3)\n"
                       "model = Sequential([Dense(2, input_shape=shape)])\n";
    SlScriptOptions o = quiet;
    o.n_set = 1;
    o.set_name[0] = "shape";
    o.set_value[0] = "(7, 4)";
    SlModel *m;
    SlScript *s = tu_script_ok("--set shape=(7, 4)", text, &o, &m);
    const TuExpect want = {1, {"(None, 7, 2)"}, {10}, {"dense"}, 10};
    tu_check_model("--set shape=(7, 4)", m, &want);
    sl_script_free(s);

    SlError e;
    o.set_value[0] = "(7, 4";
    s = sl_script_run_text("t.py", text, strlen(text), &o, &e);
    if (s)
        sl_script_free(s);
    ck_assert_msg(s == NULL, "--set shape=(7, 4 is not a value");
    ck_assert_msg(strstr(e.msg, "--set shape=(7, 4"), "the error quotes the option: %s", e.msg);
}
END_TEST

/* The Keras tensors of a return_state-like tuple and a Model(...) positional form. */
START_TEST(test_model_positional)
{
    SlModel *m;
    SlScript *s = tu_script_ok("Model(inputs, outputs, name)",
                               "x = Input(shape=(2, 3))\n"
                               "y = Dense(4)(x)\n"
                               "model = Model(x, y, name='tiny')\n",
                               &quiet, &m);
    const TuExpect want = {2, {"(None, 2, 3)", "(None, 2, 4)"}, {0, 16}, {"input_1", "dense"}, 16};
    tu_check_model("positional Model", m, &want);
    ck_assert_msg(!strcmp(m->name, "tiny"), "name %s", m->name);
    sl_script_free(s);
}
END_TEST

/* ---- 3. broken scripts: position, message, caret ---- */

#define BROKEN_DIR "tests/scripts/broken"

/* Each file names, in its first line, the position and the words of the error it must give. */

static const char *const broken[] = {
    "01_unknown_layer.py",
    "02_unknown_layer_qualified.py",
    "03_unknown_keyword.py",
    "04_wrong_type.py",
    "05_missing_argument.py",
    "06_unclosed_bracket.py",
    "07_unclosed_string.py",
    "08_bad_indentation.py",
    "09_unexpected_indentation.py",
    "10_else_without_if.py",
    "11_while_forever.py",
    "12_tensor_condition.py",
    "13_lambda.py",
    "14_loss_dict.py",
    "15_star_args.py",
    "16_positional_after_keyword.py",
    "17_undefined_name.py",
    "18_call_int.py",
    "19_unpack_count.py",
    "20_add_non_layer.py",
    "21_model_two_graphs.py",
    "22_model_missing_outputs.py",
    "23_model_wrong_input.py",
    "24_class_definition.py",
    "25_add_twice.py",
    "26_division_by_zero.py",
    "27_range_too_long.py",
    "28_iteration_limit.py",
    "29_recursion.py",
    "30_deep_nesting.py",
    "31_data_in_layer.py",
    "32_shape_error.py",
    "33_lstm.py",
    "34_missing_colon.py",
    "35_slice_step_zero.py",
    "36_semicolon.py",
    "37_chained_assignment.py",
    "38_return_outside_def.py",
    "39_integer_overflow_division.py",
    "40_list_too_long.py",
    "41_unknown_model_method.py",
    "42_function_arguments.py",
    "43_unknown_loss.py",
    "44_index_out_of_range.py",
    "45_model_disconnected.py",
    "46_list_repeat_overflow.py",
    "47_shift_overflow.py",
    "48_power_overflow.py",
    "49_too_many_layers.py",
    "50_too_many_layers_functional.py",
    "51_curly_quote.py",
    "52_not_utf8.py",
    "53_wrap_layer_of_model.py",
    "54_no_break_space.py",
    "55_unicode_name_undefined.py",
    "56_import_as_not_a_name.py",
    "57_import_dot_not_a_name.py",
    "58_step_limit.py",
    "59_memory_limit.py",
    "60_concatenate_mismatch.py",
    "61_add_mismatch.py",
    "62_merge_in_sequential.py",
    "63_subtract_three.py",
    "64_fstring_spec.py",
    "65_unexpected_keyword.py",
    "66_optimizer_not_supported.py",
    "67_mismatched_bracket.py",
    "68_data_shape.py",
    "69_layer_on_data.py",
    "70_activation_on_tensor.py",
    "71_condition_on_data.py",
    "72_format_overflow.py",
};
enum { N_BROKEN = sizeof broken / sizeof broken[0] };

START_TEST(test_broken)
{
    char path[256], head[512], want_sub[400];
    snprintf(path, sizeof path, "%s/%s", BROKEN_DIR, broken[_i]);
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    ck_assert_msg(fgets(head, sizeof head, f) != NULL, "%s is empty", path);
    fclose(f);
    head[strcspn(head, "\r\n")] = '\0';
    int line = 0, col = 0, used = 0;
    ck_assert_msg(sscanf(head, "# expect: %d:%d: %n", &line, &col, &used) == 2 && used > 0,
                  "%s: the first line must be '# expect: LINE:COL: TEXT', not '%s'", path, head);
    snprintf(want_sub, sizeof want_sub, "%s", head + used);

    SlError e;
    SlScript *s = sl_script_run(path, &quiet, &e);
    if (s)
        sl_script_free(s);
    ck_assert_msg(s == NULL, "%s: the script ran; expected an error at %d:%d: %s", path, line, col,
                  want_sub);
    char prefix[320], msg[SL_ERROR_MAX];
    snprintf(prefix, sizeof prefix, "%s:%d:%d: error: ", path, line, col);
    ck_assert_msg(!strncmp(e.msg, prefix, strlen(prefix)), "%s: expected \"%s...\", got:\n%s", path,
                  prefix, e.msg);
    tu_first_line(e.msg, msg, sizeof msg);
    ck_assert_msg(strstr(msg + strlen(prefix), want_sub), "%s: expected \"%s\" in:\n%s", path,
                  want_sub, e.msg);
    tu_assert_caret(path, e.msg, col);
}
END_TEST

/* Every file in the corpus is in the table above. */
START_TEST(test_broken_all_listed)
{
    DIR *d = opendir(BROKEN_DIR);
    ck_assert_msg(d != NULL, "cannot open %s", BROKEN_DIR);
    int n = 0;
    for (struct dirent *de; (de = readdir(d));) {
        if (de->d_name[0] == '.')
            continue;
        n++;
        int found = 0;
        for (int i = 0; i < N_BROKEN; i++)
            found |= !strcmp(broken[i], de->d_name);
        ck_assert_msg(found, "%s/%s is not listed in broken[]", BROKEN_DIR, de->d_name);
    }
    closedir(d);
    ck_assert_msg(n == N_BROKEN, "%d files, %d listed", n, (int)N_BROKEN);
}
END_TEST

/* ---- problems with the file itself: "FILE: ..." without a position ---- */

static char tmp_dir[64];

static void make_tmp(void)
{
    snprintf(tmp_dir, sizeof tmp_dir, "/tmp/check_script_XXXXXX");
    ck_assert_msg(mkdtemp(tmp_dir) != NULL, "mkdtemp");
}

static void write_file(const char *path, const char *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    ck_assert_msg(f != NULL, "cannot write %s", path);
    ck_assert_msg(fwrite(data, 1, n, f) == n, "short write to %s", path);
    fclose(f);
}

START_TEST(test_file_too_large)
{
    make_tmp();
    char path[128];
    snprintf(path, sizeof path, "%s/big.py", tmp_dir);
    size_t n = 2u << 20; /* 2 MiB of comment lines */
    char *text = malloc(n);
    ck_assert(text != NULL);
    for (size_t i = 0; i < n; i++)
        text[i] = (i % 64 == 63) ? '\n' : (i % 64 == 0 ? '#' : 'x');
    write_file(path, text, n);
    SlError e;
    SlScript *s = sl_script_run(path, &quiet, &e);
    ck_assert_msg(s == NULL, "a 2 MiB script is refused");
    char prefix[160];
    snprintf(prefix, sizeof prefix, "%s: ", path);
    ck_assert_msg(!strncmp(e.msg, prefix, strlen(prefix)) && strstr(e.msg, "1048576"),
                  "the error names the file and the limit: %s", e.msg);
    /* the same text from memory */
    s = sl_script_run_text("mem.py", text, n, &quiet, &e);
    ck_assert_msg(s == NULL, "2 MiB of text is refused");
    ck_assert_msg(!strncmp(e.msg, "mem.py: ", 8) && strstr(e.msg, "1048576"), "%s", e.msg);
    free(text);
    unlink(path);
    rmdir(tmp_dir);
}
END_TEST

START_TEST(test_file_nul_byte)
{
    make_tmp();
    char path[128];
    snprintf(path, sizeof path, "%s/nul.py", tmp_dir);
    const char text[] = "model = Sequential()\nmodel.add(Dense(3,\0 input_shape=(4,)))\n";
    write_file(path, text, sizeof text - 1);
    SlError e;
    SlScript *s = sl_script_run(path, &quiet, &e);
    if (s)
        sl_script_free(s);
    ck_assert_msg(s == NULL, "a NUL byte is refused");
    char prefix[160];
    snprintf(prefix, sizeof prefix, "%s: ", path);
    ck_assert_msg(!strncmp(e.msg, prefix, strlen(prefix)) && strstr(e.msg, "NUL"),
                  "the error names the file and the NUL byte: %s", e.msg);
    unlink(path);
    rmdir(tmp_dir);
}
END_TEST

START_TEST(test_file_missing)
{
    SlError e;
    const char *path = "tests/scripts/no_such_script.py";
    ck_assert_msg(sl_script_run(path, &quiet, &e) == NULL, "a missing file is an error");
    ck_assert_msg(!strncmp(e.msg, path, strlen(path)) && strstr(e.msg, "cannot open"), "%s", e.msg);
    ck_assert_msg(sl_script_run("tests/scripts", &quiet, &e) == NULL, "a directory is an error");
    ck_assert_msg(!strncmp(e.msg, "tests/scripts: ", 15), "%s", e.msg);
}
END_TEST

/* Is s UTF-8 throughout: no character cut in two, no stray byte? */
static int whole_utf8(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        int n = *p < 0x80 ? 1 : *p >= 0xF0 ? 4 : *p >= 0xE0 ? 3 : *p >= 0xC2 ? 2 : 0;
        for (int k = 1; k < n; k++)
            if ((p[k] & 0xC0) != 0x80)
                return 0;
        if (n == 0)
            return 0;
        p += n;
    }
    return 1;
}

/* A name of 300 letters outside ASCII (600 bytes, longer than the message has room for): the
 * error quotes it cut at a character, never inside one. */
START_TEST(test_message_whole_characters)
{
    char text[1024];
    size_t u = 0;
    for (int i = 0; i < 300; i++)
        u += (size_t)snprintf(text + u, sizeof text - u, "\xc3\xb6");
    snprintf(text + u, sizeof text - u, " + 1\n");
    char msg[SL_ERROR_MAX];
    tu_script_fail("a long name with non-ASCII letters", text, &quiet, msg, sizeof msg);
    ck_assert_msg(strstr(msg, "t.py:1:1: error: name '\xc3\xb6\xc3\xb6"), "%s", msg);
    ck_assert_msg(whole_utf8(msg), "the message cuts a character in two: %s", msg);
}
END_TEST

/* ---- limits: hostile input ends in an error or a value, never a crash or a hang ---- */

/* Texts under 1 MiB whose expressions nest deeply without brackets. Each deep expression is
 * a call's argument, not an assignment's value, so only its depth is tested here. */
static char *deep_text(int kind)
{
    enum { N = 100000 };
    const char *piece[] = {"1 + ", "2 ** ", "-", "(y)[0] + ", "[", "(1, "};
    const char *tail[] = {"1", "1", "1", "1", "1", "1)"};
    size_t cap = 64 + (size_t)N * 12;
    char *t = malloc(cap);
    ck_assert(t != NULL);
    size_t u = (size_t)snprintf(t, cap, "y = [0]\nprint(");
    int n = kind == 4 ? 60 : N; /* brackets stop at their own limit (64) */
    for (int i = 0; i < n; i++)
        u += (size_t)snprintf(t + u, cap - u, "%s", piece[kind]);
    u += (size_t)snprintf(t + u, cap - u, "%s", tail[kind]);
    for (int i = 0; kind == 4 && i < n; i++)
        u += (size_t)snprintf(t + u, cap - u, "]");
    snprintf(t + u, cap - u, ")\n");
    return t;
}

static const char *const deep_names[] = {"1 + 1 + ... (100000 terms)", "2 ** 2 ** ... (100000)",
                                         "- - - ... 1 (100000)",       "(y)[0] + ... (100000)",
                                         "[[[...]]] (60 deep)",        "(1, (1, ... (100000)"};

START_TEST(test_deep_expression)
{
    char *t = deep_text(_i);
    SlError e;
    SlScript *s = sl_script_run_text("deep.py", t, strlen(t), &quiet, &e);
    if (s) {
        sl_script_free(s);
    } else {
        ck_assert_msg(!strncmp(e.msg, "deep.py:2:", 10), "%s: %s", deep_names[_i], e.msg);
        tu_assert_caret(deep_names[_i], e.msg, 0);
    }
    free(t);
}
END_TEST

/* Long chains of attributes, calls and subscripts: a value or an error, at line 1. */
START_TEST(test_long_chain)
{
    enum { N = 50000 };
    const char *piece[] = {".z", "(1)", "[0]"};
    size_t cap = 64 + (size_t)N * 4;
    char *t = malloc(cap);
    ck_assert(t != NULL);
    size_t u = (size_t)snprintf(t, cap, "print(y");
    for (int i = 0; i < N; i++)
        u += (size_t)snprintf(t + u, cap - u, "%s", piece[_i]);
    snprintf(t + u, cap - u, ")\n");
    SlError e;
    SlScript *s = sl_script_run_text("chain.py", t, strlen(t), &quiet, &e);
    ck_assert_msg(s == NULL, "y is not defined");
    ck_assert_msg(!strncmp(e.msg, "chain.py:1:", 11), "%s", e.msg);
    free(t);
}
END_TEST

/* Just under 1 MiB of short statements (174,752 of them) reads in well under the test's
 * timeout: reading must not slow down with the square of the statement count. */
START_TEST(test_long_script_is_fast)
{
    const char *line = "x = 1\n";
    size_t n = (1u << 20) - 64, len = strlen(line);
    char *t = malloc(n + 1);
    ck_assert(t != NULL);
    size_t u = 0;
    while (u + len <= n) {
        memcpy(t + u, line, len);
        u += len;
    }
    t[u] = '\0';
    SlError e;
    SlScript *s = sl_script_run_text("long.py", t, u, &quiet, &e);
    ck_assert_msg(s != NULL, "%s", e.msg);
    sl_script_free(s);
    free(t);
}
END_TEST

/* One list literal of 99999 items (a call's argument; just inside the list limit): read in
 * time, and kept whole. */
START_TEST(test_long_list_literal)
{
    enum { N = 99999 };
    size_t cap = 256 + (size_t)N * 3;
    char *t = malloc(cap);
    ck_assert(t != NULL);
    size_t u = (size_t)snprintf(t, cap, "model = Sequential()\nmodel.add(Dense(len([1");
    for (int i = 1; i < N; i++)
        u += (size_t)snprintf(t + u, cap - u, ", 1");
    snprintf(t + u, cap - u, "]) // 10000, input_shape=(2,)))\n");
    SlModel *m;
    SlScript *s = tu_script_ok("a list of 99999 items", t, &quiet, &m);
    const TuExpect want = {1, {"(None, 9)"}, {27}, {"dense"}, 27};
    tu_check_model("a list of 99999 items", m, &want);
    sl_script_free(s);
    free(t);
}
END_TEST

/* The same model after 0..199 filler statements: the reader's tables grow at different points
 * of the script, and none of that may change what the script means. (Today the parser writes
 * some children into its node table after a call that may have moved the table, so a `for` body,
 * a `def` body or an assignment's value is lost when the table grows inside it.) */
START_TEST(test_growth_keeps_meaning)
{
    size_t cap = 8192;
    char *t = malloc(cap);
    ck_assert(t != NULL);
    size_t u = (size_t)snprintf(t, cap,
                                "model = Sequential()\n"
                                "model.add(Dense(4, input_shape=(3,)))\n");
    for (int i = 0; i < _i; i++)
        u += (size_t)snprintf(t + u, cap - u, "a%d = %d\n", i, i);
    snprintf(t + u, cap - u,
             "def more(n):\n"
             "    return Dense(n)\n"
             "for i in range(2):\n"
             "    model.add(more(4))\n"
             "sizes = [4, 4]\n"
             "model.add(Dense(sizes[1]))\n");
    char what[64];
    snprintf(what, sizeof what, "after %d filler lines", _i);
    SlModel *m;
    SlScript *s = tu_script_ok(what, t, &quiet, &m);
    const TuExpect want = {
        4, {"(None, 4)", "(None, 4)", "(None, 4)", "(None, 4)"}, {16, 20, 20, 20}, {NULL}, 76};
    tu_check_model(what, m, &want);
    sl_script_free(s);
    free(t);
}
END_TEST

/* 80,000 names, each bound once, in a script just under 1 MiB: names are found by hash, so this
 * reads in well under the TCase's timeout (searching every name before took 14 s). */
START_TEST(test_many_names)
{
    enum { N = 80000 };
    size_t cap = (size_t)N * 16 + 256, u = 0;
    char *t = malloc(cap);
    ck_assert(t != NULL);
    for (int i = 0; i < N; i++)
        u += (size_t)snprintf(t + u, cap - u, "a%d=%d\n", i, i);
    snprintf(t + u, cap - u, "model = Sequential([Dense(a%d - a%d, input_shape=(2,))])\n", N - 1,
             N - 4);
    SlModel *m;
    SlScript *s = tu_script_ok("80000 names", t, &quiet, &m);
    const TuExpect want = {1, {"(None, 3)"}, {9}, {NULL}, 9};
    tu_check_model("80000 names", m, &want);
    sl_script_free(s);
    free(t);
}
END_TEST

/* 5000 iterations, each making a small tuple: well inside every documented limit. (Today:
 * "out of memory" after 4096 values, the size of the script's block table.) */
START_TEST(test_many_small_values)
{
    SlModel *m;
    SlScript *s = tu_script_ok("5000 tuples",
                               "for i in range(5000):\n"
                               "    shape = (i, 3)\n"
                               "model = Sequential([Dense(2, input_shape=(shape[1],))])\n",
                               &quiet, &m);
    (void)m;
    sl_script_free(s);
}
END_TEST

Suite *script_suite(void);
Suite *script_suite(void)
{
    Suite *s = suite_create("script");
    TCase *tc = tcase_create("shared models");
    tcase_set_timeout(tc, 20);
    tcase_add_loop_test(tc, test_shared_model, 0, N_MODEL_ROWS);
    tcase_add_test(tc, test_shared_models_all_listed);
    suite_add_tcase(s, tc);

    tc = tcase_create("language");
    tcase_set_timeout(tc, 10);
    tcase_add_loop_test(tc, test_feature, 0, N_FEATURE_ROWS);
    tcase_add_test(tc, test_comments_everywhere);
    tcase_add_test(tc, test_def_two_models);
    tcase_add_test(tc, test_set_shape_unpacked);
    tcase_add_loop_test(tc, test_pasted, 0, sizeof pasted / sizeof pasted[0]);
    tcase_add_test(tc, test_last_model_and_no_model);
    tcase_add_test(tc, test_shared_layer);
    tcase_add_test(tc, test_compile_sgd_object);
    tcase_add_test(tc, test_compile_without_loss);
    tcase_add_test(tc, test_skipped_and_noticed);
    tcase_add_test(tc, test_notices_once);
    tcase_add_test(tc, test_summary_width);
    tcase_add_test(tc, test_data_needs_set);
    tcase_add_test(tc, test_set_values);
    tcase_add_test(tc, test_model_positional);
    suite_add_tcase(s, tc);

    tc = tcase_create("broken scripts");
    tcase_set_timeout(tc, 10);
    tcase_add_loop_test(tc, test_broken, 0, N_BROKEN);
    tcase_add_test(tc, test_broken_all_listed);
    tcase_add_test(tc, test_file_too_large);
    tcase_add_test(tc, test_file_nul_byte);
    tcase_add_test(tc, test_file_missing);
    tcase_add_test(tc, test_message_whole_characters);
    suite_add_tcase(s, tc);

    tc = tcase_create("limits");
    tcase_set_timeout(tc, 5); /* correct reading takes well under a second */
    tcase_add_loop_test(tc, test_deep_expression, 0, sizeof deep_names / sizeof deep_names[0]);
    tcase_add_loop_test(tc, test_long_chain, 0, 3);
    tcase_add_test(tc, test_long_script_is_fast);
    tcase_add_test(tc, test_long_list_literal);
    tcase_add_loop_test(tc, test_growth_keeps_meaning, 0, 200);
    tcase_add_test(tc, test_many_small_values);
    tcase_add_test(tc, test_many_names);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(script_suite()) ? EXIT_FAILURE : EXIT_SUCCESS;
}
