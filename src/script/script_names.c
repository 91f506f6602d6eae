/* script_names.c: the Keras names a model script uses without defining them, and what each
 * stands for: a layer class, a model class, a builtin, or an object of one of Keras's families
 * (initializers, regularizers, constraints, activations, metrics, losses, optimizers).
 *
 * The family lists are Keras 3's own: the names keras/src/initializers, regularizers,
 * constraints, activations, metrics, losses and optimizers export (their __init__.py's
 * ALL_OBJECTS and keras_export names). A name's family comes from the module it is read from
 * (keras.metrics.MeanSquaredError is a metric, keras.losses.MeanSquaredError a loss); a bare name
 * (imported with `from keras.layers import *`, or not imported at all) is looked up in the
 * families whose names cannot be mistaken: layers first, then initializers, regularizers,
 * constraints, losses, optimizers and metrics. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "script_impl.h"

#define COUNT(a) (sizeof(a) / sizeof(a)[0])

static const char *const initializers[] = {"Constant",
                                           "GlorotNormal",
                                           "GlorotUniform",
                                           "HeNormal",
                                           "HeUniform",
                                           "Identity",
                                           "IdentityInitializer",
                                           "LecunNormal",
                                           "LecunUniform",
                                           "Ones",
                                           "Orthogonal",
                                           "OrthogonalInitializer",
                                           "RandomNormal",
                                           "RandomUniform",
                                           "STFT",
                                           "STFTInitializer",
                                           "TruncatedNormal",
                                           "VarianceScaling",
                                           "Zeros",
                                           "constant",
                                           "glorot_normal",
                                           "glorot_uniform",
                                           "he_normal",
                                           "he_uniform",
                                           "identity",
                                           "lecun_normal",
                                           "lecun_uniform",
                                           "ones",
                                           "orthogonal",
                                           "random_normal",
                                           "random_uniform",
                                           "stft",
                                           "truncated_normal",
                                           "variance_scaling",
                                           "zeros"};

static const char *const regularizers[] = {"L1", "L1L2",  "L2", "OrthogonalRegularizer",
                                           "l1", "l1_l2", "l2", "orthogonal_regularizer"};

static const char *const constraints[] = {"MaxNorm",  "MinMaxNorm",   "NonNeg",  "UnitNorm",
                                          "max_norm", "min_max_norm", "non_neg", "unit_norm"};

static const char *const activations[] = {
    "relu",        "leaky_relu",     "relu6",       "softmax",      "celu",        "elu",
    "selu",        "softplus",       "softsign",    "squareplus",   "soft_shrink", "sparse_plus",
    "silu",        "gelu",           "glu",         "tanh",         "tanh_shrink", "threshold",
    "sigmoid",     "sparse_sigmoid", "exponential", "hard_sigmoid", "hard_silu",   "hard_tanh",
    "hard_shrink", "linear",         "mish",        "log_softmax",  "log_sigmoid", "sparsemax",
    "swish",       "hard_swish"};

static const char *const metrics[] = {"AUC",
                                      "Accuracy",
                                      "BinaryAccuracy",
                                      "BinaryCrossentropy",
                                      "BinaryIoU",
                                      "CategoricalAccuracy",
                                      "CategoricalCrossentropy",
                                      "CategoricalHinge",
                                      "ConcordanceCorrelation",
                                      "CosineSimilarity",
                                      "F1Score",
                                      "FBetaScore",
                                      "FalseNegatives",
                                      "FalsePositives",
                                      "Hinge",
                                      "IoU",
                                      "KLDivergence",
                                      "LogCoshError",
                                      "Mean",
                                      "MeanAbsoluteError",
                                      "MeanAbsolutePercentageError",
                                      "MeanIoU",
                                      "MeanSquaredError",
                                      "MeanSquaredLogarithmicError",
                                      "OneHotIoU",
                                      "OneHotMeanIoU",
                                      "PearsonCorrelation",
                                      "Poisson",
                                      "Precision",
                                      "PrecisionAtRecall",
                                      "R2Score",
                                      "Recall",
                                      "RecallAtPrecision",
                                      "RootMeanSquaredError",
                                      "SensitivityAtSpecificity",
                                      "SparseCategoricalAccuracy",
                                      "SparseCategoricalCrossentropy",
                                      "SparseTopKCategoricalAccuracy",
                                      "SpecificityAtSensitivity",
                                      "SquaredHinge",
                                      "Sum",
                                      "TopKCategoricalAccuracy",
                                      "TrueNegatives",
                                      "TruePositives",
                                      "binary_accuracy",
                                      "categorical_accuracy",
                                      "concordance_correlation",
                                      "pearson_correlation",
                                      "sparse_categorical_accuracy",
                                      "sparse_top_k_categorical_accuracy",
                                      "top_k_categorical_accuracy",
                                      "mse",
                                      "mae",
                                      "mean_squared_error",
                                      "mean_absolute_error",
                                      "binary_crossentropy",
                                      "categorical_crossentropy",
                                      "sparse_categorical_crossentropy"};

static const char *const losses[] = {"BinaryCrossentropy",
                                     "BinaryFocalCrossentropy",
                                     "CTC",
                                     "CategoricalCrossentropy",
                                     "CategoricalFocalCrossentropy",
                                     "CategoricalGeneralizedCrossEntropy",
                                     "CategoricalHinge",
                                     "Circle",
                                     "CosineSimilarity",
                                     "Dice",
                                     "Hinge",
                                     "Huber",
                                     "KLDivergence",
                                     "LogCosh",
                                     "MeanAbsoluteError",
                                     "MeanAbsolutePercentageError",
                                     "MeanSquaredError",
                                     "MeanSquaredLogarithmicError",
                                     "Poisson",
                                     "SparseCategoricalCrossentropy",
                                     "SquaredHinge",
                                     "Tversky"};

static const char *const loss_functions[] = {"binary_crossentropy",
                                             "binary_focal_crossentropy",
                                             "categorical_crossentropy",
                                             "categorical_focal_crossentropy",
                                             "categorical_generalized_cross_entropy",
                                             "categorical_hinge",
                                             "circle",
                                             "cosine_similarity",
                                             "ctc",
                                             "dice",
                                             "hinge",
                                             "huber",
                                             "kl_divergence",
                                             "log_cosh",
                                             "mean_absolute_error",
                                             "mean_absolute_percentage_error",
                                             "mean_squared_error",
                                             "mean_squared_logarithmic_error",
                                             "poisson",
                                             "sparse_categorical_crossentropy",
                                             "squared_hinge",
                                             "tversky",
                                             "mse",
                                             "mae",
                                             "mape",
                                             "msle"};

static const char *const optimizers[] = {
    "Adadelta", "Adafactor", "Adagrad", "Adam",  "AdamW",   "Adamax", "Ftrl",
    "Lamb",     "Lion",      "Muon",    "Nadam", "RMSprop", "SGD",    "ScheduleFreeAdamW"};

/* keras/src/layers/preprocessing: layers that turn raw data into model input (and augment it);
 * a script's data pipeline makes them, and shapelab reads what they make from files. */
static const char *const preprocessing[] = {"TextVectorization",
                                            "StringLookup",
                                            "IntegerLookup",
                                            "Normalization",
                                            "Discretization",
                                            "Hashing",
                                            "HashedCrossing",
                                            "CategoryEncoding",
                                            "Rescaling",
                                            "Resizing",
                                            "CenterCrop",
                                            "RandomFlip",
                                            "RandomRotation",
                                            "RandomZoom",
                                            "RandomContrast",
                                            "RandomCrop",
                                            "RandomTranslation",
                                            "RandomBrightness",
                                            "RandomHue",
                                            "RandomSaturation",
                                            "RandomSharpness",
                                            "RandomShear",
                                            "RandomGrayscale",
                                            "RandomInvert",
                                            "RandomErasing",
                                            "RandomPerspective",
                                            "RandomPosterization",
                                            "RandomColorJitter",
                                            "RandomColorDegeneration",
                                            "RandomGaussianBlur",
                                            "RandomElasticTransform",
                                            "AugMix",
                                            "AutoContrast",
                                            "CutMix",
                                            "MixUp",
                                            "RandAugment",
                                            "Equalization",
                                            "Solarization",
                                            "MelSpectrogram",
                                            "STFTSpectrogram",
                                            "FeatureSpace",
                                            "Pipeline"};

/* Keras 3's layer classes (keras/src/layers, their keras.layers names), preprocessing aside: one
 * that shapelab has not built says "not implemented yet" rather than "unknown". */
static const char *const keras_layers[] = {"Activation",
                                           "ActivityRegularization",
                                           "AdaptiveAveragePooling1D",
                                           "AdaptiveAveragePooling2D",
                                           "AdaptiveAveragePooling3D",
                                           "AdaptiveMaxPooling1D",
                                           "AdaptiveMaxPooling2D",
                                           "AdaptiveMaxPooling3D",
                                           "Add",
                                           "AdditiveAttention",
                                           "AlphaDropout",
                                           "Attention",
                                           "Average",
                                           "AveragePooling1D",
                                           "AveragePooling2D",
                                           "AveragePooling3D",
                                           "AvgPool1D",
                                           "AvgPool2D",
                                           "AvgPool3D",
                                           "BatchNormalization",
                                           "Bidirectional",
                                           "Concatenate",
                                           "Conv1D",
                                           "Conv1DTranspose",
                                           "Conv2D",
                                           "Conv2DTranspose",
                                           "Conv3D",
                                           "Conv3DTranspose",
                                           "ConvLSTM1D",
                                           "ConvLSTM2D",
                                           "ConvLSTM3D",
                                           "Convolution1D",
                                           "Convolution1DTranspose",
                                           "Convolution2D",
                                           "Convolution2DTranspose",
                                           "Convolution3D",
                                           "Convolution3DTranspose",
                                           "Cropping1D",
                                           "Cropping2D",
                                           "Cropping3D",
                                           "Dense",
                                           "DepthwiseConv1D",
                                           "DepthwiseConv2D",
                                           "Dot",
                                           "Dropout",
                                           "ELU",
                                           "EinsumDense",
                                           "Embedding",
                                           "Flatten",
                                           "GRU",
                                           "GRUCell",
                                           "GaussianDropout",
                                           "GaussianNoise",
                                           "GlobalAveragePooling1D",
                                           "GlobalAveragePooling2D",
                                           "GlobalAveragePooling3D",
                                           "GlobalAvgPool1D",
                                           "GlobalAvgPool2D",
                                           "GlobalAvgPool3D",
                                           "GlobalMaxPool1D",
                                           "GlobalMaxPool2D",
                                           "GlobalMaxPool3D",
                                           "GlobalMaxPooling1D",
                                           "GlobalMaxPooling2D",
                                           "GlobalMaxPooling3D",
                                           "GroupNormalization",
                                           "GroupQueryAttention",
                                           "Identity",
                                           "InputLayer",
                                           "LSTM",
                                           "LSTMCell",
                                           "Lambda",
                                           "Layer",
                                           "LayerNormalization",
                                           "LeakyReLU",
                                           "Masking",
                                           "MaxPool1D",
                                           "MaxPool2D",
                                           "MaxPool3D",
                                           "MaxPooling1D",
                                           "MaxPooling2D",
                                           "MaxPooling3D",
                                           "Maximum",
                                           "Minimum",
                                           "MultiHeadAttention",
                                           "Multiply",
                                           "PReLU",
                                           "Permute",
                                           "RMSNormalization",
                                           "RNN",
                                           "ReLU",
                                           "RepeatVector",
                                           "Reshape",
                                           "ReversibleEmbedding",
                                           "SeparableConv1D",
                                           "SeparableConv2D",
                                           "SeparableConvolution1D",
                                           "SeparableConvolution2D",
                                           "SimpleRNN",
                                           "SimpleRNNCell",
                                           "Softmax",
                                           "SpatialDropout1D",
                                           "SpatialDropout2D",
                                           "SpatialDropout3D",
                                           "SpectralNormalization",
                                           "StackedRNNCells",
                                           "Subtract",
                                           "TernaryDense",
                                           "TimeDistributed",
                                           "UnitNormalization",
                                           "UpSampling1D",
                                           "UpSampling2D",
                                           "UpSampling3D",
                                           "Wrapper",
                                           "ZeroPadding1D",
                                           "ZeroPadding2D",
                                           "ZeroPadding3D"};

int sc_keras_layer(const char *name)
{
    return sc_in_list(keras_layers, COUNT(keras_layers), name);
}

static int in(const char *const *list, size_t n, const char *name)
{
    return sc_in_list(list, n, name);
}

/* The last part of a dotted module name: "tensorflow.keras.initializers" -> "initializers". */
static const char *last_part(const char *module)
{
    const char *dot = strrchr(module, '.');
    return dot ? dot + 1 : module;
}

Family sc_family(const char *module, const char *name)
{
    if (module) {
        const char *m = last_part(module);
        if (!strcmp(m, "initializers"))
            return in(initializers, COUNT(initializers), name) ? F_INIT : F_NONE;
        if (!strcmp(m, "regularizers"))
            return in(regularizers, COUNT(regularizers), name) ? F_REG : F_NONE;
        if (!strcmp(m, "constraints"))
            return in(constraints, COUNT(constraints), name) ? F_CONSTRAINT : F_NONE;
        if (!strcmp(m, "activations") || !strcmp(m, "nn") || !strcmp(m, "ops"))
            return in(activations, COUNT(activations), name) ? F_ACTIVATION : F_NONE;
        if (!strcmp(m, "metrics"))
            return in(metrics, COUNT(metrics), name) ? F_METRIC : F_NONE;
        if (!strcmp(m, "losses"))
            return in(losses, COUNT(losses), name)                   ? F_LOSS
                   : in(loss_functions, COUNT(loss_functions), name) ? F_LOSS_FN
                                                                     : F_NONE;
        if (strstr(module, "optimizers") && strcmp(m, "schedules"))
            return in(optimizers, COUNT(optimizers), name) ? F_OPTIMIZER : F_NONE;
    }
    /* a bare name, or one from a module that does not decide (keras, layers): classes only */
    if (!isupper((unsigned char)name[0]))
        return F_NONE;
    return in(preprocessing, COUNT(preprocessing), name) ? F_PREPROCESSING
           : in(initializers, COUNT(initializers), name) ? F_INIT
           : in(regularizers, COUNT(regularizers), name) ? F_REG
           : in(constraints, COUNT(constraints), name)   ? F_CONSTRAINT
           : in(losses, COUNT(losses), name)             ? F_LOSS
           : in(optimizers, COUNT(optimizers), name)     ? F_OPTIMIZER
           : in(metrics, COUNT(metrics), name)           ? F_METRIC
                                                         : F_NONE;
}

const char *sc_family_name(Family f)
{
    static const char *const names[] = {
        "",         "an initializer",  "a regularizer", "a constraint", "an activation",
        "a metric", "a loss function", "a loss",        "an optimizer"};
    return names[f];
}

void sc_snake_case(const char *name, char *out, size_t n)
{
    /* Keras's to_snake_case: "_" before a capital that starts a lowercase run ("(.)([A-Z][a-z0-9]+)"),
     * then between a lowercase letter and a capital ("([a-z])([A-Z])"), then lower case */
    char mid[128];
    size_t u = 0;
    for (size_t i = 0; name[i] && u + 2 < sizeof mid; i++) {
        if (i > 0 && isupper((unsigned char)name[i]) &&
            (islower((unsigned char)name[i + 1]) || isdigit((unsigned char)name[i + 1])))
            mid[u++] = '_';
        mid[u++] = name[i];
    }
    mid[u] = '\0';
    size_t k = 0;
    for (size_t i = 0; mid[i] && k + 2 < n; i++) {
        if (i > 0 && islower((unsigned char)mid[i - 1]) && isupper((unsigned char)mid[i]))
            out[k++] = '_';
        out[k++] = (char)tolower((unsigned char)mid[i]);
    }
    out[k < n ? k : n - 1] = '\0';
}

/* A function of a family (an activation, a loss function, a metric function), as a value. */
static Val function_value(const char *name, Family f)
{
    Val v = sc_none();
    v.kind = V_OBJECT;
    v.i = f;
    v.s = name;
    return v;
}

int sc_keras_name(const char *module, const char *name, int data_lib, Val *out)
{
    *out = sc_none();
    if (data_lib)
        return 0;
    Family f = sc_family(module, name);
    if (f == F_ACTIVATION || f == F_LOSS_FN ||
        (f == F_METRIC && !isupper((unsigned char)name[0]))) {
        *out = function_value(name, f);
        return 1;
    }
    if (f != F_NONE || sc_known_class(name)) {
        out->kind = V_CLASS;
        out->s = name;
        out->i = f;
        return 1;
    }
    return 0;
}
