/* check_conv.c: the convolution family (Conv1D, Conv2D, their transposed twins, pooling,
 * ZeroPadding, Cropping, UpSampling) against PyTorch's numbers, its gradient checks, its shape
 * errors, Keras's output sizes, and the kernels conv.h names.
 *
 * Fixtures are tests/fixtures/conv_*.safetensors, written by tools/make_conv_fixtures.py in the
 * format check_layers.c describes. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scene.h"
#include "script/script.h"
#include "testutil.h"

static const char *const fixtures[] = {
    "conv_conv1d_valid",
    "conv_conv1d_same_even_kernel",
    "conv_conv1d_causal",
    "conv_conv1d_causal_dilated_relu",
    "conv_conv1d_causal_dilated4_elu",
    "conv_conv1d_valid_dilated_tanh",
    "conv_conv1d_same_dilated",
    "conv_conv1d_valid_stride2",
    "conv_conv1d_same_stride2",
    "conv_conv1d_same_stride3",
    "conv_conv1d_causal_stride2",
    "conv_conv1d_kernel1",
    "conv_conv2d_valid",
    "conv_conv2d_same",
    "conv_conv2d_same_even",
    "conv_conv2d_same_stride2",
    "conv_conv2d_valid_stride21",
    "conv_conv2d_same_dilated_relu",
    "conv_conv2d_valid_dilated",
    "conv_max_pooling1d",
    "conv_max_pool1d_alias",
    "conv_max_pooling1d_same_stride2",
    "conv_average_pooling1d_valid",
    "conv_average_pooling1d_same_stride2",
    "conv_average_pooling1d_same",
    "conv_max_pooling2d",
    "conv_max_pooling2d_same",
    "conv_average_pooling2d",
    "conv_average_pooling2d_same",
    "conv_global_max_pooling1d",
    "conv_global_average_pooling1d",
    "conv_global_average_pooling1d_keepdims",
    "conv_global_max_pooling2d",
    "conv_global_average_pooling2d",
    "conv_zero_padding1d",
    "conv_zero_padding1d_asym",
    "conv_zero_padding2d",
    "conv_zero_padding2d_asym",
    "conv_cropping1d",
    "conv_cropping1d_int",
    "conv_cropping2d",
    "conv_cropping2d_int",
    "conv_cropping2d_pair",
    "conv_conv1d_transpose_valid",
    "conv_conv1d_transpose_same_stride2",
    "conv_conv1d_transpose_valid_stride3_op",
    "conv_conv1d_transpose_same_op",
    "conv_conv1d_transpose_stride_gt_kernel",
    "conv_conv1d_transpose_dilated_tanh",
    "conv_conv2d_transpose_same_stride2",
    "conv_conv2d_transpose_valid_relu",
    "conv_conv2d_transpose_same_op",
    "conv_conv2d_transpose_valid_op_sigmoid",
    "conv_conv2d_transpose_same_even",
    "conv_conv2d_transpose_dilated",
    "conv_up_sampling1d",
    "conv_up_sampling1d_default",
    "conv_up_sampling2d",
    "conv_up_sampling2d_bilinear",
    "conv_up_sampling2d_bilinear_odd",
    "conv_conv1d_channels_first",
    "conv_conv2d_channels_first",
    "conv_conv1d_transpose_channels_first",
    "conv_conv2d_transpose_channels_first",
    "conv_max_pooling1d_channels_first",
    "conv_average_pooling2d_channels_first",
    "conv_max_pooling2d_channels_first",
    "conv_global_average_pooling1d_channels_first",
    "conv_global_max_pooling2d_channels_first",
    "conv_zero_padding1d_channels_first",
    "conv_zero_padding2d_channels_first",
    "conv_cropping2d_channels_first",
    "conv_up_sampling2d_channels_first",
    "conv_up_sampling2d_bilinear_channels_first",
    "conv_conv1d_groups",
    "conv_conv2d_groups",
    "conv_conv2d_groups_channels_first",
    "conv_conv2d_depthwise_groups",
    "conv_flatten_channels_first",
    "conv_flatten_channels_first_1d",
};
enum { N_FIXTURES = sizeof fixtures / sizeof fixtures[0] };

START_TEST(test_fixture)
{
    tu_check_layer_fixture(fixtures[_i]);
}
END_TEST

#ifdef SL_DOUBLE
/* Every padding with strides and with dilations, as Keras allows them (not both above 1). */
static const struct {
    const char *type, *args;
    int rank, dims[SL_MAX_RANK];
} gc_cases[] = {
    {"Conv1D", "3, 3", 3, {2, 7, 2}},
    {"Conv1D", "2, 4, padding='same'", 3, {2, 7, 3}},
    {"Conv1D", "2, 3, padding='causal'", 3, {2, 6, 2}},
    {"Conv1D", "3, 3, padding='causal', dilation_rate=2, activation='tanh'", 3, {2, 9, 2}},
    {"Conv1D", "2, 5, padding='causal', dilation_rate=4, activation='elu'", 3, {2, 10, 3}},
    {"Conv1D", "2, 2, dilation_rate=3, use_bias=False", 3, {2, 8, 3}},
    {"Conv1D", "2, 3, padding='same', dilation_rate=3", 3, {2, 10, 2}},
    {"Conv1D", "3, 3, strides=2", 3, {2, 8, 2}},
    {"Conv1D", "2, 3, strides=2, padding='same'", 3, {2, 8, 2}},
    {"Conv1D", "2, 4, strides=3, padding='same'", 3, {2, 7, 2}},
    {"Conv1D", "2, 2, strides=2, padding='causal'", 3, {2, 7, 2}},
    {"Conv1D", "2, 3, strides=3, padding='causal', activation='sigmoid'", 3, {2, 8, 2}},
    {"Conv2D", "3, (2, 3)", 4, {2, 5, 6, 2}},
    {"Conv2D", "2, 3, padding='same'", 4, {2, 5, 5, 3}},
    {"Conv2D", "2, (2, 4), padding='same'", 4, {2, 4, 5, 2}},
    {"Conv2D", "2, (3, 2), strides=(2, 2), padding='same'", 4, {2, 6, 7, 2}},
    {"Conv2D", "2, 3, strides=(2, 1), activation='tanh'", 4, {2, 7, 6, 1}},
    {"Conv2D", "2, (2, 3), dilation_rate=(2, 1), padding='same'", 4, {2, 6, 6, 2}},
    {"Conv2D", "3, 2, dilation_rate=2, use_bias=False", 4, {1, 6, 7, 2}},
    {"MaxPooling1D", "", 3, {2, 6, 3}},
    {"MaxPooling1D", "pool_size=3, strides=2, padding='same'", 3, {2, 8, 2}},
    {"AveragePooling1D", "pool_size=3, strides=2, padding='same'", 3, {2, 7, 2}},
    {"AveragePooling1D", "3", 3, {2, 7, 2}},
    {"MaxPooling2D", "pool_size=(3, 3), strides=(2, 2), padding='same'", 4, {2, 5, 6, 1}},
    {"AveragePooling2D", "pool_size=(2, 3), padding='same'", 4, {2, 5, 7, 2}},
    {"GlobalMaxPooling1D", "", 3, {2, 5, 3}},
    {"GlobalAveragePooling1D", "", 3, {2, 5, 3}},
    {"GlobalMaxPooling2D", "keepdims=True", 4, {2, 3, 4, 2}},
    {"GlobalAveragePooling2D", "", 4, {2, 3, 4, 2}},
    {"ZeroPadding1D", "(1, 3)", 3, {2, 4, 2}},
    {"ZeroPadding2D", "((1, 0), (2, 1))", 4, {2, 3, 3, 2}},
    {"Cropping1D", "(1, 2)", 3, {2, 6, 2}},
    {"Cropping2D", "((2, 1), (0, 3))", 4, {2, 5, 6, 2}},
    {"Conv1DTranspose", "3, 3", 3, {2, 5, 2}},
    {"Conv1DTranspose", "2, 4, strides=3, padding='same', activation='elu'", 3, {2, 4, 3}},
    {"Conv1DTranspose", "2, 2, strides=3, output_padding=1", 3, {2, 4, 2}},
    {"Conv1DTranspose", "2, 3, dilation_rate=3, use_bias=False", 3, {2, 5, 2}},
    {"Conv2DTranspose", "2, 3, strides=2, padding='same'", 4, {2, 3, 4, 3}},
    {"Conv2DTranspose",
     "3, (2, 3), strides=(1, 2), padding='same', output_padding=(0, 1)",
     4,
     {2, 4, 3, 2}},
    {"Conv2DTranspose", "2, (3, 2), strides=(3, 2), activation='tanh'", 4, {2, 3, 3, 2}},
    {"Conv2DTranspose", "2, 2, dilation_rate=(1, 2), padding='same'", 4, {1, 4, 4, 2}},
    {"UpSampling1D", "2", 3, {2, 4, 3}},
    {"UpSampling2D", "(3, 2)", 4, {2, 3, 3, 2}},
    {"UpSampling2D", "(2, 3), interpolation='bilinear'", 4, {2, 4, 3, 2}},
    {"UpSampling2D", "5, interpolation='bilinear'", 4, {1, 2, 3, 1}},
    /* data_format='channels_first': (batch, channels, ...) */
    {"Conv1D", "3, 3, strides=2, padding='same', data_format='channels_first'", 3, {2, 2, 8}},
    {"Conv2D", "2, (2, 3), data_format='channels_first', activation='tanh'", 4, {2, 3, 4, 5}},
    {"Conv1DTranspose", "2, 3, strides=2, data_format='channels_first'", 3, {2, 3, 4}},
    {"Conv2DTranspose", "2, 2, padding='same', data_format='channels_first'", 4, {2, 2, 3, 4}},
    {"MaxPooling2D", "(2, 3), padding='same', data_format='channels_first'", 4, {2, 2, 5, 7}},
    {"AveragePooling1D", "2, data_format='channels_first'", 3, {2, 3, 6}},
    {"GlobalAveragePooling2D", "'channels_first', keepdims=True", 4, {2, 3, 2, 4}},
    {"GlobalMaxPooling1D", "data_format='channels_first'", 3, {2, 3, 5}},
    {"ZeroPadding2D", "(1, 2), data_format='channels_first'", 4, {2, 2, 3, 3}},
    {"ZeroPadding1D", "2, data_format='channels_first'", 3, {2, 2, 3}},
    {"Cropping2D", "((1, 0), (0, 2)), data_format='channels_first'", 4, {2, 2, 4, 5}},
    {"UpSampling2D", "2, 'channels_first', 'bilinear'", 4, {2, 2, 3, 2}},
    {"Flatten", "data_format='channels_first'", 4, {2, 3, 2, 4}},
    /* groups: in/groups channels per filter */
    {"Conv1D", "4, 3, groups=2, padding='causal', dilation_rate=2", 3, {2, 7, 6}},
    {"Conv2D", "6, (2, 3), strides=2, padding='same', groups=3, activation='elu'", 4, {2, 5, 6, 3}},
    {"Conv2D", "4, 3, groups=2, data_format='channels_first', use_bias=False", 4, {2, 4, 5, 5}},
};
enum { N_GC = sizeof gc_cases / sizeof gc_cases[0] };

START_TEST(test_gradcheck)
{
    SlShape s = sl_shape_of(gc_cases[_i].rank, gc_cases[_i].dims);
    tu_gradcheck_layer(gc_cases[_i].type, gc_cases[_i].args, s, 0, 101 + (uint64_t)_i);
}
END_TEST
#endif

/* Shape errors: each names the layer, what it expected, what it got, and a fix. */
static const TuShapeError shape_errors[] = {
    {"Conv1D",
     "4, 3",
     2,
     {SL_NONE, 31},
     {"layer 'conv1d' (Conv1D)", "(batch, steps, channels)", "(None, 31)", "(N, 31, 1)"}},
    {"Conv1D", "4, 3", 4, {SL_NONE, 5, 10, 1}, {"(None, 5, 10, 1)", "TimeDistributed", "Fix:", ""}},
    {"Conv1D",
     "4, 3, dilation_rate=3",
     3,
     {SL_NONE, 6, 2},
     {"at least 7 steps", "span 1 + (3 - 1) * 3 = 7", "padding='same'", "(None, 6, 2)"}},
    {"Conv1D", "4, 3", 3, {SL_NONE, 10, SL_NONE}, {"channels", "(None, 10, None)", "Fix:", ""}},
    {"Conv2D",
     "8, 5",
     3,
     {SL_NONE, 28, 28},
     {"layer 'conv2d' (Conv2D)", "(batch, rows, cols, channels)", "(28, 28, 1)", "Fix:"}},
    {"MaxPooling1D",
     "",
     2,
     {SL_NONE, 10},
     {"layer 'max_pooling1d' (MaxPooling1D)", "(batch, steps, channels)", "(N, 10, 1)", ""}},
    {"MaxPooling2D", "", 3, {SL_NONE, 10, 3}, {"(None, 10, 3)", "use the 1D layer", "", ""}},
    {"MaxPooling1D", "pool_size=4", 3, {SL_NONE, 3, 2}, {"at least 4", "padding='same'", "", ""}},
    {"Cropping1D", "(2, 2)", 3, {SL_NONE, 4, 2}, {"more than 4 steps", "crop fewer", "", ""}},
    {"Cropping2D",
     "((1, 1), (3, 2))",
     4,
     {SL_NONE, 8, 5, 2},
     {"more than 5 cols to crop 3 from the left and 2 from the right", "crop fewer cols",
      "(None, 8, 5, 2)", ""}},
    {"Cropping2D", "", 3, {SL_NONE, 8, 5}, {"(batch, rows, cols, channels)", "1D layer", "", ""}},
    {"Conv2DTranspose",
     "1, 3, strides=2",
     3,
     {SL_NONE, 8, 8},
     {"layer 'conv2d_transpose' (Conv2DTranspose)", "(batch, rows, cols, channels)",
      "Conv2DTranspose needs a channels axis", "(8, 8, 1)"}},
    {"Conv1DTranspose",
     "1, 3",
     2,
     {SL_NONE, 31},
     {"(batch, steps, channels)", "reshape (N, 31) to (N, 31, 1)", "", ""}},
    {"Conv1DTranspose",
     "1, 2, strides=2, padding='same', output_padding=0",
     3,
     {SL_NONE, 1, 3},
     {"an output of at least 1 cell along axis 1", "(1 - 1) * 2 + 2 % 2 + 0 = 0",
      "output_padding=None", ""}},
    {"Conv2DTranspose", "1, 3", 4, {SL_NONE, 8, 8, SL_NONE}, {"channels", "Fix:", "", ""}},
    {"Conv2DTranspose",
     "1, 2, strides=4096",
     4,
     {SL_NONE, 8, 8192, 1},
     {"at most 16777216 cells along axis 2", "(8192 - 1) * 4096 + 4096", "smaller strides", ""}},
    {"UpSampling1D", "", 4, {SL_NONE, 4, 4, 1}, {"(batch, steps, channels)", "2D layer", "", ""}},
    {"UpSampling2D",
     "4096",
     4,
     {SL_NONE, 8192, 4, 1},
     {"at most 16777216 cells along axis 1, not 8192 * 4096", "", "", ""}},
    {"GlobalAveragePooling2D",
     "",
     3,
     {SL_NONE, 4, 2},
     {"(batch, rows, cols, channels)", "", "", ""}},
    /* channels_first: the channels on axis 1, the words say so */
    {"Conv2D",
     "8, 3, data_format='channels_first'",
     3,
     {SL_NONE, 28, 28},
     {"(batch, channels, rows, cols)", "(channels, rows, cols)", "data_format='channels_last'",
      "(None, 28, 28)"}},
    {"Conv1D",
     "4, 3, data_format='channels_first'",
     3,
     {SL_NONE, SL_NONE, 10},
     {"a known number of channels on axis 1", "(None, None, 10)", "", ""}},
    {"Conv2D",
     "4, 5, data_format='channels_first'",
     4,
     {SL_NONE, 3, 4, 9},
     {"at least 5 cells along axis 1", "(None, 3, 4, 9)", "", ""}},
    {"MaxPooling1D",
     "data_format='channels_first'",
     2,
     {SL_NONE, 10},
     {"(batch, channels, steps)", "(channels, steps)", "", ""}},
    {"Cropping2D",
     "((1, 1), (3, 2)), data_format='channels_first'",
     4,
     {SL_NONE, 2, 8, 5},
     {"more than 5 cols to crop 3 from the left and 2 from the right", "(None, 2, 8, 5)", "", ""}},
    /* groups: the input channels must divide by them too (Keras's build) */
    {"Conv2D",
     "6, 3, groups=3",
     4,
     {SL_NONE, 8, 8, 4},
     {"input channels evenly divisible by the number of groups: groups=3, but the input has 4 "
      "channels",
      "(None, 8, 8, 4)", "Fix:", ""}},
    {"Conv1D",
     "4, 3, groups=2, data_format='channels_first'",
     3,
     {SL_NONE, 3, 9},
     {"groups=2, but the input has 3 channels", "", "", ""}},
};
enum { N_SHAPE_ERRORS = sizeof shape_errors / sizeof shape_errors[0] };

START_TEST(test_shape_error)
{
    tu_check_shape_error(&shape_errors[_i]);
}
END_TEST

static const TuArgError arg_errors[] = {
    {"Conv1D", "16, 3, strides=2, dilation_rate=2",
     "`strides > 1` not supported in conjunction with `dilation_rate > 1`. Received: "
     "strides=(2,) and dilation_rate=(2,)"},
    {"Conv2D", "16, 3, strides=(1, 2), dilation_rate=(2, 1)", "strides=(1, 2) and dilation"},
    {"Conv1D", "16, 3, padding='full'", "padding='full' is not one of 'valid', 'same', 'causal'"},
    {"Conv2D", "16, 3, padding='causal'", "'causal' is for Conv1D only"},
    {"Conv1D", "0, 3", "filters must be a positive integer"},
    {"Conv1D", "4, (3, 3)", "kernel_size takes one int"},
    {"Conv2D", "4, (3, 3, 3)", "kernel_size takes one int or a tuple of two ints"},
    {"Conv1D", "4, 0", "kernel_size must hold positive integers"},
    {"Conv1D", "4, 3, data_format='channels_middle'",
     "The `data_format` argument must be one of {'channels_first', 'channels_last'}. Received: "
     "data_format=channels_middle"},
    {"Conv2D", "4, 3, groups=0",
     "The number of groups must be a positive integer. Received: groups=0."},
    {"Conv1D", "4, 3, groups=-2", "The number of groups must be a positive integer"},
    {"Conv2D", "6, 3, groups=4",
     "The number of filters must be evenly divisible by the number of groups. Received: "
     "groups=4, filters=6."},
    {"Conv1D", "4", "missing the required argument 'kernel_size'"},
    {"MaxPooling1D", "padding='causal'", "is not one of 'valid', 'same'"},
    {"AveragePooling2D", "(2, 2, 2)", "pool_size takes one int or a tuple of two ints"},
    {"ZeroPadding1D", "-1", "must not be negative"},
    {"ZeroPadding2D", "'a'", "takes an int, (rows, cols)"},
    {"Cropping1D", "(1, 2, 3)", "takes an int or a pair"},
    {"Cropping2D", "((1, 2), (3, 4), (5, 6))", "takes an int, (rows, cols) or ((top, bottom)"},
    {"Cropping2D", "((1, -2), 0)", "must not be negative"},
    {"Cropping2D", "1, data_format='NCHW'", "must be one of {'channels_first', 'channels_last'}"},
    {"Cropping1D", "1, data_format='channels_first'", "unknown keyword"},
    {"Conv2DTranspose", "2, 3, strides=2, output_padding=2",
     "`output_padding` must be strictly less than `strides` for all dimensions. At dimension 0, "
     "`output_padding` is 2 but `strides` is 2. Received: output_padding=(2, 2), strides=(2, 2)"},
    {"Conv2DTranspose", "2, 3, strides=(2, 3), output_padding=(1, 3)",
     "At dimension 1, `output_padding` is 3 but `strides` is 3"},
    {"Conv1DTranspose", "2, 3, output_padding=1", "At dimension 0, `output_padding` is 1"},
    {"Conv1DTranspose", "2, 3, strides=2, output_padding=-1", "must not be negative"},
    {"Conv2DTranspose", "2, 3, output_padding=(0, 0, 0)", "output_padding takes one int or"},
    {"Conv2DTranspose", "2, 3, strides=2, dilation_rate=2",
     "`strides > 1` not supported in conjunction with `dilation_rate > 1`"},
    {"Conv1DTranspose", "2, 3, padding='causal'", "'causal' is for Conv1D only"},
    {"Conv2DTranspose", "2, 3, groups=2", "unknown keyword"},
    {"Conv2DTranspose", "2, 3000, dilation_rate=9000", "beyond shapelab's limit of 16777216"},
    {"Conv2DTranspose", "0, 3", "filters must be a positive integer"},
    {"UpSampling1D", "0", "Argument `size` should be a positive integer. Received: size=0"},
    {"UpSampling1D", "(2, 2)", "size"},
    {"UpSampling2D", "(2, 0)", "size must hold positive integers"},
    {"UpSampling2D", "2, interpolation='bicubic'",
     "interpolation='bicubic' is not one of 'nearest', 'bilinear'"},
    {"UpSampling2D", "2, data_format=''", "Received: data_format="},
    {"UpSampling1D", "2, data_format='channels_first'", "unknown keyword"},
    {"Flatten", "'channels_middle'", "must be one of {'channels_first', 'channels_last'}"},
    {"GlobalMaxPooling2D", "'first'", "must be one of {'channels_first', 'channels_last'}"},
    {"MaxPooling2D", "2, data_format='channel_first'", "Received: data_format=channel_first"},
    {"Conv1D", "4, 3, dilation_rate=2147483647, padding='causal'",
     "'dilation_rate' holds 2147483647, beyond shapelab's limit of 16777216"},
    {"Conv1D", "4, 3, dilation_rate=16000000", "spans 1 + (3 - 1) * 16000000 = 32000001 steps"},
    {"Conv2D", "4, (3, 3000), dilation_rate=(1, 10000)", "spans 1 + (3000 - 1) * 10000"},
};
enum { N_ARG_ERRORS = sizeof arg_errors / sizeof arg_errors[0] };

START_TEST(test_arg_error)
{
    tu_check_arg_error(&arg_errors[_i]);
}
END_TEST

/* Output lengths: TensorFlow's rule, and None kept. */
START_TEST(test_out_len)
{
    int before;
    ck_assert_int_eq(sl_conv_out_len(10, 3, 1, 1, SL_PAD_VALID, &before), 8);
    ck_assert_int_eq(before, 0);
    ck_assert_int_eq(sl_conv_out_len(10, 3, 1, 4, SL_PAD_CAUSAL, &before), 10);
    ck_assert_int_eq(before, 8);
    SlConvGeom g = sl_conv1d_geom(2, 10, 3, 5, 3, 1, 4, SL_PAD_CAUSAL);
    ck_assert(g.B == 2 && g.H == 1 && g.W == 10 && g.CI == 3 && g.CO == 5 && g.KH == 1 &&
              g.KW == 3);
    ck_assert(g.OH == 1 && g.OW == 10 && g.pw == 8 && g.ph == 0 && g.sw == 1 && g.dw == 4);
    /* 'same', stride 2 on 8: out 4, pad_total = 3*2 + 3 - 8 = 1, all of it after */
    ck_assert_int_eq(sl_conv_out_len(8, 3, 2, 1, SL_PAD_SAME, &before), 4);
    ck_assert_int_eq(before, 0);
    /* 'same', kernel 4 on 7: pad_total 3, 1 before and 2 after */
    ck_assert_int_eq(sl_conv_out_len(7, 4, 1, 1, SL_PAD_SAME, &before), 7);
    ck_assert_int_eq(before, 1);
    ck_assert_int_eq(sl_conv_out_len(SL_NONE, 3, 1, 2, SL_PAD_CAUSAL, &before), SL_NONE);
    ck_assert_int_eq(sl_conv_out_len(4, 3, 1, 2, SL_PAD_VALID, NULL), 0);
    ck_assert_int_eq(sl_conv_span(3, 8), 17);
}
END_TEST

/* rotate180 turns the taps around and swaps the channel axes. */
START_TEST(test_rotate180)
{
    /* k (KH=1, KW=3, CI=2, CO=1): taps (a0, a1), (b0, b1), (c0, c1) */
    sl_real k[6] = {1, 2, 3, 4, 5, 6}, kr[6];
    sl_rotate180(kr, k, 1, 3, 2, 1);
    sl_real want[6] = {5, 6, 3, 4, 1, 2};
    tu_assert_close("kr", kr, want, 6);
    /* (CI=1, CO=2): kr is (KW, CO, CI), the same numbers in another order */
    sl_real k2[6] = {1, 2, 3, 4, 5, 6}, kr2[6];
    sl_rotate180(kr2, k2, 1, 3, 1, 2);
    tu_assert_close("kr2", kr2, want, 6);
    sl_real sp[5], dy[3] = {7, 8, 9}, ws[5] = {7, 0, 8, 0, 9};
    sl_spread(sp, dy, 1, 1, 3, 1, 1, 2);
    tu_assert_close("spread", sp, ws, 5);
}
END_TEST

/* docs/conv-backprop.md works 13_conv_backprop.py's layer by hand; the engine, and the three
 * named steps called one by one, must give the same numbers. */
START_TEST(test_backprop_worked_example)
{
    SlError e;
    SlShape xs = sl_shape_of(3, (int[]){1, 6, 1}), ys = sl_shape_of(3, (int[]){1, 4, 1});
    SlModel *m = tu_one_layer("Conv1D", "1, 3", xs, &e);
    ck_assert(m && sl_model_ensure_params(m, &e) == 0);
    sl_real K[3] = {1, 0, -2}, b = (sl_real)0.5, x[6] = {1, 2, 0, -1, 3, 1};
    sl_real dy[4] = {1, -1, 2, (sl_real)0.5};
    memcpy(m->params[0]->value.data, K, sizeof K);
    m->params[1]->value.data[0] = b;
    SlTensor in = sl_tensor(xs, x), g = sl_tensor(ys, dy);
    ck_assert(sl_model_forward(m, &in, 0, &e) == 0);
    sl_real y[4] = {1.5, 4.5, -5.5, -2.5};
    tu_assert_close("y", sl_model_output(m, 0).data, y, 4);
    ck_assert(sl_model_backward(m, &g, 0, &e) == 0);
    sl_real dK[3] = {-1.5, 1.5, 7.5}, db[1] = {2.5}, dx[6] = {1, -1, 0, 2.5, -4, -1};
    tu_assert_close("dK", m->params[0]->grad.data, dK, 3);
    tu_assert_close("db", m->params[1]->grad.data, db, 1);
    tu_assert_close("dx", sl_model_input_grad(m, 0).data, dx, 6);
    sl_model_free(m);

    /* the steps by name */
    SlConvGeom geo =
        sl_conv1d_geom(1, 6, 1, 1, 3, 1, 1, SL_PAD_VALID); /* x (1, 6, 1), K (3, 1, 1) */
    sl_real kr[3], sp[4], dx2[6] = {0}, Kr[3] = {-2, 0, 1};
    sl_rotate180(kr, K, 1, 3, 1, 1);
    tu_assert_close("rotate180", kr, Kr, 3);
    sl_spread(sp, dy, 1, 1, 4, 1, 1, 1);
    tu_assert_close("spread", sp, dy, 4);
    SlConvGeom full = sl_conv_input_grad_geom(&geo);
    ck_assert_int_eq(full.pw, 2); /* (k - 1) * d zeros before: a full correlation */
    sl_full_correlation(dx2, sp, kr, &geo);
    tu_assert_close("full correlation", dx2, dx, 6);
    sl_real dK2[3] = {0};
    sl_correlate_kernel_grad(dK2, x, dy, &geo);
    tu_assert_close("x correlated with dy", dK2, dK, 3);

    /* and as a layer: Conv1DTranspose with the same kernel stamps dy into the same dx */
    SlModel *t = tu_one_layer("Conv1DTranspose", "1, 3, use_bias=False", ys, &e);
    ck_assert(t && sl_model_ensure_params(t, &e) == 0);
    memcpy(t->params[0]->value.data, K, sizeof K);
    ck_assert(sl_model_forward(t, &g, 0, &e) == 0);
    tu_assert_close("Conv1DTranspose(dy)", sl_model_output(t, 0).data, dx, 6);
    sl_model_free(t);
}
END_TEST

/* A test layer that passes x through and masks the steps whose features are all zero (what
 * Masking(0.0) does), so GlobalAveragePooling1D has a mask to use. */
static int zmask_infer(SlLayer *l, SlInfer *io, SlError *e)
{
    (void)l, (void)e;
    io->n_out = 1;
    io->out[0] = io->in[0];
    io->out_mask[0] = SL_MASK_NEW;
    return 0;
}

static void zmask_forward(SlLayer *l, SlPass *p)
{
    (void)l;
    size_t n = sl_tensor_count(&p->x[0]), F = (size_t)p->x[0].shape.dim[2];
    memcpy(p->y[0].data, p->x[0].data, n * sizeof *p->y[0].data);
    for (size_t r = 0; r < n / F; r++) {
        p->mask_out[0][r] = 0;
        for (size_t f = 0; f < F; f++)
            p->mask_out[0][r] |= p->x[0].data[r * F + f] != 0;
    }
}

static void zmask_backward(SlLayer *l, SlPass *p)
{
    (void)l;
    for (size_t i = 0; i < sl_tensor_count(&p->x[0]); i++)
        p->dx[0].data[i] += p->dy[0].data[i];
}

static void zmask_explain(const SlLayer *l, const SlInfer *io, char *buf, size_t n)
{
    (void)l, (void)io;
    snprintf(buf, n, "masks all-zero steps");
}

static int zmask_create(SlLayer *l, const SlBound *b, SlError *e)
{
    (void)l, (void)b, (void)e;
    return 0;
}

static const SlLayerType zmask_type = {
    .name = "ZeroMask",
    .snake = "zero_mask",
    .aliases = "",
    .summary = "test layer",
    .example_args = "",
    .example_input = "(2, 4, 2)",
    .kind = 0,
    .steps = SL_STEPS_EACH,
    .create = zmask_create,
    .infer = zmask_infer,
    .params = sl_layer_no_params,
    .scratch = sl_layer_no_scratch,
    .forward = zmask_forward,
    .backward = zmask_backward,
    .reset = sl_layer_reset_nothing,
    .explain = zmask_explain,
    .formula = sl_layer_formula_none,
    .note = sl_layer_no_note,
    .window = sl_layer_no_window,
    .codes = sl_layer_reals,
    .scenes = sl_layer_no_scenes,
    .destroy = sl_layer_destroy_cfg,
};

/* Keras's masked mean: GlobalAveragePooling1D averages the unmasked steps only, and the masked
 * steps get no gradient; the mask stops there. */
START_TEST(test_global_average_masked)
{
    SlError e;
    SlArgs none;
    sl_args_init(&none);
    sl_clear_session();
    SlModel *m = sl_sequential(NULL);
    ck_assert(sl_model_add(m, sl_layer("InputLayer", "batch_shape=(2, 4, 2)", &e), &e) == 0);
    ck_assert(sl_model_add(m, sl_layer_of_type(&zmask_type, &none, &e), &e) == 0);
    ck_assert(sl_model_add(m, sl_layer("GlobalAveragePooling1D", "", &e), &e) == 0);
    ck_assert(strstr(m->nodes[2].why, "the unmasked steps only"));
    /* sample 0: steps 2 and 3 are padding; sample 1: every step is real */
    sl_real x[16] = {1, 2, 3, 6, 0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 6, 6};
    SlTensor in = sl_tensor(sl_shape_of(3, (int[]){2, 4, 2}), x);
    ck_assert_msg(sl_model_forward(m, &in, 0, &e) == 0, "%s", e.msg);
    sl_real want[4] = {2, 4, 3, 3};
    tu_assert_close("y", sl_model_output(m, 0).data, want, 4);
    sl_real dy[4] = {1, 2, 4, 8};
    SlTensor g = sl_tensor(sl_shape_of(2, (int[]){2, 2}), dy);
    ck_assert_msg(sl_model_backward(m, &g, 0, &e) == 0, "%s", e.msg);
    sl_real dx[16] = {0.5, 1, 0.5, 1, 0, 0, 0, 0, 1, 2, 1, 2, 1, 2, 1, 2};
    tu_assert_close("dx", sl_model_input_grad(m, 0).data, dx, 16);
    sl_model_free(m);
}
END_TEST

/* Receptive fields: the lit input steps of an output step are exactly those whose gradient is
 * non-zero when only that output step's gradient is 1 (linear layers, random weights); the steps
 * that feed an output step away from the edges (`fed`) are as many as the gradient finds, with the
 * gaps said where they come from (the first layer whose taps are further apart than the reach below
 * it, or -1). */
static const struct {
    int n_layers;
    const char *layers[6][2];
    int steps, total, fed, every, gap_layer;
} rf_cases[] = {
    {4,
     {{"Conv1D", "2, 3, padding='causal', dilation_rate=1"},
      {"Conv1D", "2, 3, padding='causal', dilation_rate=2"},
      {"Conv1D", "2, 3, padding='causal', dilation_rate=4"},
      {"Conv1D", "1, 3, padding='causal', dilation_rate=8"}},
     40,
     31,
     31,
     1,
     -1},
    {1, {{"Conv1D", "1, 3, dilation_rate=4"}}, 12, 9, 3, 4, 0},
    {3,
     {{"Conv1D", "2, 3, strides=2, padding='same'"},
      {"AveragePooling1D", "2"}, /* max pooling's gradient picks one cell: its field is wider */
      {"Conv1D", "1, 2, padding='causal'"}},
     23,
     9,
     9,
     1,
     -1},
    {3,
     {{"ZeroPadding1D", "(2, 1)"}, {"Conv1D", "1, 4"}, {"Cropping1D", "(1, 1)"}},
     9,
     4,
     4,
     1,
     -1},
    {2, {{"Conv1D", "2, 3"}, {"Dense", "1"}}, 9, 3, 3, 1, -1},
    /* kernel 4, dilations 3 then 9: 37 steps spanned, every third feeds the output */
    {2,
     {{"Conv1D", "2, 4, padding='causal', dilation_rate=3"},
      {"Conv1D", "1, 4, padding='causal', dilation_rate=9"}},
     60,
     37,
     13,
     3,
     0},
    /* kernel 2, dilations 2 then 3: steps 0, 2, 3, 5 of 6 */
    {2,
     {{"Conv1D", "2, 2, padding='causal', dilation_rate=2"},
      {"Conv1D", "1, 2, padding='causal', dilation_rate=3"}},
     20,
     6,
     4,
     0,
     0},
    /* the first layer skips steps, the second fills them in: no gaps after all */
    {2,
     {{"Conv1D", "2, 3, padding='causal', dilation_rate=2"}, {"Conv1D", "1, 2, padding='causal'"}},
     20,
     6,
     6,
     1,
     0},
    /* a stride wider than the kernel skips input steps: 0, 1, 3, 4 of 5 */
    {2, {{"Conv1D", "2, 2, strides=3"}, {"Conv1D", "1, 2"}}, 20, 5, 4, 0, 1},
};
enum { N_RF = sizeof rf_cases / sizeof rf_cases[0] };

START_TEST(test_receptive_field)
{
    SlError e;
    sl_clear_session();
    SlModel *m = sl_sequential(NULL);
    char in[64];
    snprintf(in, sizeof in, "batch_shape=(1, %d, 1)", rf_cases[_i].steps);
    ck_assert(sl_model_add(m, sl_layer("InputLayer", in, &e), &e) == 0);
    for (int k = 0; k < rf_cases[_i].n_layers; k++)
        ck_assert_msg(
            sl_model_add(m, sl_layer(rf_cases[_i].layers[k][0], rf_cases[_i].layers[k][1], &e),
                         &e) == 0,
            "%s", e.msg);
    SlReceptive r;
    ck_assert_msg(sl_receptive_field(m, &r, &e) == 0, "%s", e.msg);
    ck_assert_int_eq(r.total, rf_cases[_i].total);
    ck_assert_int_eq(r.fed, rf_cases[_i].fed);
    ck_assert_int_eq(r.every, rf_cases[_i].every);
    ck_assert_int_eq(r.gap_layer, rf_cases[_i].gap_layer);
    int len[SL_RF_MAX + 1], T = rf_cases[_i].steps;
    ck_assert(sl_receptive_lengths(&r, T, len) == 0);
    SlShape out = sl_model_output_shape(m, 0);
    ck_assert_int_eq(len[r.n], out.dim[1]);
    ck_assert(sl_model_init_params(m, 3, &e) == 0);
    sl_real *x = calloc((size_t)T, sizeof *x), *dy = calloc((size_t)len[r.n], sizeof *dy);
    unsigned char lit[1024];
    SlRng rng = sl_rng(5);
    SlTensor xt = sl_tensor(sl_shape_of(3, (int[]){1, T, 1}), x);
    sl_gradcheck_fill_input(&xt, &rng);
    ck_assert(sl_model_forward(m, &xt, 0, &e) == 0);
    int most = 0; /* the most input steps the gradient finds behind one output step */
    for (int t = 0; t < len[r.n]; t++) {
        sl_receptive_light(&r, len, t, lit);
        memset(dy, 0, (size_t)len[r.n] * sizeof *dy);
        dy[t] = 1;
        SlTensor g = sl_tensor(sl_shape_of(3, (int[]){1, len[r.n], 1}), dy);
        ck_assert_msg(sl_model_backward(m, &g, 0, &e) == 0, "%s", e.msg);
        const sl_real *dx = sl_model_input_grad(m, 0).data;
        int count = 0;
        for (int i = 0; i < T; i++) {
            ck_assert_msg(lit[i] == (dx[i] != 0), "output step %d, input step %d: lit %d, dx %g", t,
                          i, lit[i], (double)dx[i]);
            count += lit[i];
        }
        ck_assert_int_le(count, r.total);
        most = count > most ? count : most;
    }
    ck_assert_int_eq(most, r.fed);
    char buf[2048];
    sl_receptive_format(m, &r, buf, sizeof buf);
    char want[128];
    snprintf(want, sizeof want, "one output step spans %d input step%s; ", r.total,
             r.total == 1 ? "" : "s");
    ck_assert_msg(strstr(buf, want), "%s", buf);
    if (r.fed < r.total)
        snprintf(want, sizeof want, "%d of them feed it", r.fed);
    else
        snprintf(want, sizeof want, "every one of them feeds it");
    ck_assert_msg(strstr(buf, want), "%s", buf);
    if (r.fed < r.total) { /* why: the layer that skips steps, and by how much */
        int g = r.gap_layer, apart = r.win[g].d * r.jump[g];
        snprintf(want, sizeof want, "%s's taps are %d steps apart and the layers below it reach %d",
                 m->nodes[r.node[g]].layer->name, apart, g ? r.reach[g - 1] : 1);
        ck_assert_msg(strstr(buf, want), "%s", buf);
    }
    if (r.every > 1) {
        snprintf(want, sizeof want, "(every %d", r.every);
        ck_assert_msg(strstr(buf, want), "%s", buf);
    }
    free(x), free(dy);
    sl_model_free(m);
}
END_TEST

/* The WaveNet stack of QUESTIONS.md item 10: 3, 5, 9, 17 steps per layer, 31 in all. */
START_TEST(test_receptive_wavenet)
{
    static const SlScriptOptions quiet;
    SlError e;
    SlScript *s = sl_script_run(SL_SHARED_MODELS "/10_causal_dilated.py", &quiet, &e);
    ck_assert_msg(s != NULL, "%s", e.msg);
    SlModel *m = sl_script_model(s, &e);
    SlReceptive r;
    ck_assert(sl_receptive_field(m, &r, &e) == 0);
    ck_assert_int_eq(r.n, 4);
    int spans[4] = {3, 5, 9, 17}, reach[4] = {3, 7, 15, 31};
    for (int i = 0; i < 4; i++) {
        ck_assert_int_eq(r.span[i], spans[i]);
        ck_assert_int_eq(r.reach[i], reach[i]);
    }
    ck_assert_int_eq(r.total, 31);
    char buf[2048];
    sl_receptive_format(m, &r, buf, sizeof buf);
    ck_assert_msg(strstr(buf, "span 1 + (3 - 1) * 8 = 17, reach 31 steps"), "%s", buf);
    sl_script_free(s);
}
END_TEST

/* Training steps through the convolution family allocate nothing after the first, also when a
 * later batch is shorter (the plan's capacity covers it). */
static const struct {
    const char *input;
    const char *layers[6][2];
    int rank, dims[2][SL_MAX_RANK]; /* a first batch shape and a smaller one */
} alloc_cases[] = {
    {"shape=(None, 3)",
     {{"Conv1D", "8, 3, padding='causal', dilation_rate=2, activation='relu'"},
      {"MaxPooling1D", "2, padding='same'"},
      {"ZeroPadding1D", "1"},
      {"Conv1D", "4, 2, strides=2"},
      {"GlobalAveragePooling1D", ""},
      {"Dense", "1"}},
     3,
     {{8, 24, 3}, {4, 15, 3}}},
    {"shape=(8, 8, 2)",
     {{"Conv2D", "4, 3, strides=2, padding='same', activation='tanh'"},
      {"AveragePooling2D", "2, padding='same'"},
      {"Conv2D", "3, 2, dilation_rate=2, padding='same'"},
      {"GlobalMaxPooling2D", ""},
      {"Dense", "1"},
      {NULL, NULL}},
     4,
     {{8, 8, 8, 2}, {3, 8, 8, 2}}},
    {"shape=(8, 8, 2)",
     {{"Conv2D", "4, 3, strides=2, padding='same'"},
      {"Conv2DTranspose", "3, 3, strides=2, padding='same', activation='relu'"},
      {"UpSampling2D", "2, interpolation='bilinear'"},
      {"Cropping2D", "((1, 2), 3)"},
      {"GlobalAveragePooling2D", ""},
      {"Dense", "1"}},
     4,
     {{6, 8, 8, 2}, {2, 8, 8, 2}}},
    {"shape=(2, 8, 8)", /* channels_first, with groups */
     {{"Conv2D", "4, 3, padding='same', groups=2, data_format='channels_first'"},
      {"MaxPooling2D", "2, data_format='channels_first'"},
      {"Conv2DTranspose", "2, 2, strides=2, data_format='channels_first'"},
      {"ZeroPadding2D", "1, 'channels_first'"},
      {"Flatten", "'channels_first'"},
      {"Dense", "1"}},
     4,
     {{6, 2, 8, 8}, {2, 2, 8, 8}}},
};
enum { N_ALLOC = sizeof alloc_cases / sizeof alloc_cases[0] };

START_TEST(test_zero_alloc_training_step)
{
    SlAllocator old = sl_set_allocator(&tu_counting_allocator);
    SlError e;
    sl_clear_session();
    SlModel *m = sl_sequential(NULL);
    ck_assert(sl_model_add(m, sl_layer("InputLayer", alloc_cases[_i].input, &e), &e) == 0);
    for (int k = 0; k < 6 && alloc_cases[_i].layers[k][0]; k++)
        ck_assert_msg(
            sl_model_add(m,
                         sl_layer(alloc_cases[_i].layers[k][0], alloc_cases[_i].layers[k][1], &e),
                         &e) == 0,
            "%s", e.msg);
    ck_assert(sl_model_init_params(m, 1, &e) == 0);
    static sl_real x[8 * 24 * 3 + 8 * 8 * 8 * 2], dy[64];
    SlRng r = sl_rng(9);
    for (size_t i = 0; i < sizeof x / sizeof x[0]; i++)
        x[i] = (sl_real)sl_rng_range(&r, -1, 1);
    long per_step[4];
    for (int step = 0; step < 4; step++) {
        SlShape s = sl_shape_of(alloc_cases[_i].rank, alloc_cases[_i].dims[step < 2 ? 0 : 1]);
        long before = tu_n_allocs;
        SlTensor in = sl_tensor(s, x);
        ck_assert_msg(sl_model_forward(m, &in, 1, &e) == 0, "%s", e.msg);
        SlTensor y = sl_model_output(m, 0);
        for (size_t i = 0; i < sl_tensor_count(&y); i++)
            dy[i] = y.data[i] - (sl_real)0.5;
        SlTensor g = sl_tensor(y.shape, dy);
        ck_assert(sl_model_backward(m, &g, 1, &e) == 0);
        per_step[step] = tu_n_allocs - before;
    }
    sl_set_allocator(&old);
    ck_assert_int_gt(per_step[0], 0); /* the first step plans */
    for (int k = 1; k < 4; k++)
        ck_assert_msg(per_step[k] == 0, "step %d allocated %ld times", k + 1, per_step[k]);
    sl_model_free(m);
}
END_TEST

/* Conv1D and pooling drop a mask that comes in, as Keras does; trace says so. */
START_TEST(test_mask_dropped)
{
    SlError e;
    SlArgs none;
    sl_args_init(&none);
    sl_clear_session();
    SlModel *m = sl_sequential(NULL);
    ck_assert(sl_model_add(m, sl_layer("InputLayer", "shape=(6, 2)", &e), &e) == 0);
    ck_assert(sl_model_add(m, sl_layer_of_type(&zmask_type, &none, &e), &e) == 0);
    ck_assert(sl_model_add(m, sl_layer("Conv1D", "3, 2, padding='causal'", &e), &e) == 0);
    ck_assert(sl_model_add(m, sl_layer("MaxPooling1D", "", &e), &e) == 0);
    ck_assert(m->nodes[2].sym.in_mask[0] && m->nodes[2].sym.out_mask[0] == SL_MASK_NONE);
    ck_assert_msg(strstr(m->nodes[2].why, "the mask stops here"), "%s", m->nodes[2].why);
    ck_assert(!m->nodes[3].sym.in_mask[0]);
    sl_model_free(m);
}
END_TEST

/* The receptive-field scene: drawn from 10_causal_dilated.py's layers, the chosen step's field
 * is 31 steps, and a click on an output cell picks that step. */
START_TEST(test_receptive_scene_pick)
{
    static const SlScriptOptions quiet;
    SlError e;
    SlScript *s = sl_script_run(SL_SHARED_MODELS "/10_causal_dilated.py", &quiet, &e);
    ck_assert_msg(s != NULL, "%s", e.msg);
    SlModel *m = sl_script_model(s, &e);
    const SlScene *sc = sl_scene_find("receptive-field");
    ck_assert_ptr_nonnull(sc);
    ck_assert_ptr_eq(sl_scene_best(m, NULL, 0), sc);
    SlSceneRun run;
    ck_assert_msg(sl_scene_start(&run, sc, m, 2, 8, NULL, &e) == 0, "%s", e.msg);
    SlCanvas c;
    ck_assert(sl_canvas_init(&c, 1280, 720, &e) == 0);
    sc->draw(&run, run.n_steps - 1, &c);
    const SlProbe *p = NULL;
    for (int k = 0; k < c.n_probes; k++)
        if (!strncmp(c.probes[k].title, "pick step", 9))
            p = &c.probes[k];
    ck_assert_ptr_nonnull(p);
    ck_assert_int_eq(p->cols, run.n_steps);
    ck_assert_int_eq(sl_scene_pick(&c, p->x + 10 * p->cw + p->cw / 2, p->y + 2), 10);
    ck_assert_int_eq(sl_scene_pick(&c, 2, 2), -1);
    int captions = 0;
    for (int k = 0; k < c.n_items; k++)
        captions += c.items[k].kind == SL_ITEM_TEXT &&
                    !strcmp(c.items[k].what, "spans 31 steps, all feed it");
    ck_assert_int_eq(captions, 1);
    sl_canvas_free(&c);
    sl_scene_end(&run);
    sl_script_free(s);
}
END_TEST

/* ---- the transposed layers ---- */

/* Output sizes as Keras gives them: the cases of Keras's own conv_transpose_test.py (the
 * channels_first one written channels_last), and QUESTIONS.md item 18's layer. */
static const struct {
    const char *type, *args;
    int rank, in[SL_MAX_RANK], out[SL_MAX_RANK];
} keras_sizes[] = {
    {"Conv1DTranspose", "5, 2, strides=2", 3, {2, 8, 4}, {2, 16, 5}},
    {"Conv1DTranspose",
     "6, 2, strides=3, padding='same', output_padding=2",
     3,
     {2, 8, 4},
     {2, 23, 6}},
    {"Conv1DTranspose", "6, (2,), strides=(2,)", 3, {2, 8, 4}, {2, 16, 6}},
    {"Conv2DTranspose", "5, 2, strides=2", 4, {2, 8, 8, 4}, {2, 16, 16, 5}},
    {"Conv2DTranspose",
     "6, 2, strides=3, padding='same', output_padding=2",
     4,
     {2, 8, 8, 4},
     {2, 23, 23, 6}},
    {"Conv2DTranspose", "6, (2, 3), strides=(2, 1)", 4, {2, 8, 8, 4}, {2, 16, 10, 6}},
    /* a stride above the kernel: 'valid' keeps (n - 1) * s + max(k, s), not + k */
    {"Conv2DTranspose", "2, (7, 7), strides=(16, 16)", 4, {1, 14, 14, 2}, {1, 224, 224, 2}},
    {"Conv2DTranspose", "1, 3, strides=2, padding='same'", 4, {1, 8, 8, 8}, {1, 16, 16, 1}},
};
enum { N_KERAS_SIZES = sizeof keras_sizes / sizeof keras_sizes[0] };

START_TEST(test_transpose_keras_sizes)
{
    SlError e;
    sl_clear_session();
    SlModel *m = tu_one_layer(keras_sizes[_i].type, keras_sizes[_i].args,
                              sl_shape_of(keras_sizes[_i].rank, keras_sizes[_i].in), &e);
    ck_assert_msg(m != NULL, "%s", e.msg);
    SlShape want = sl_shape_of(keras_sizes[_i].rank, keras_sizes[_i].out);
    SlShape got = sl_model_output_shape(m, 0);
    char a[96], b[96];
    ck_assert_msg(sl_shape_equal(&got, &want), "%s(%s): %s, Keras gives %s", keras_sizes[_i].type,
                  keras_sizes[_i].args, sl_shape_str(&got, a, sizeof a),
                  sl_shape_str(&want, b, sizeof b));
    sl_model_free(m);
}
END_TEST

/* The cells cut from the whole scatter, worked by hand from Keras's rule. */
START_TEST(test_transpose_cuts)
{
    static const struct {
        int k, s, d;
        SlPadding pad;
        int op, before, after;
    } c[] = {
        {3, 2, 1, SL_PAD_SAME, -1, 0, 1},   /* 8 -> 7*2 + 3 = 17 cells, keep 16 from the first */
        {4, 2, 1, SL_PAD_SAME, -1, 1, 1},   /* 2n + 2 cells, keep 2n from the second */
        {5, 1, 1, SL_PAD_SAME, -1, 2, 2},   /* strides 1: the length kept, 2 cut on each side */
        {3, 1, 2, SL_PAD_SAME, -1, 2, 2},   /* span 5, the same */
        {1, 2, 1, SL_PAD_SAME, -1, 0, -1},  /* span 1 < stride: one zero cell added */
        {2, 3, 1, SL_PAD_SAME, 2, 0, 0},    /* (n - 1) * 3 + 2 % 2 + 2: the whole scatter */
        {1, 3, 1, SL_PAD_SAME, 2, 0, -2},   /* (n - 1) * 3 + 1 % 2 + 2: two zero cells more */
        {3, 2, 1, SL_PAD_VALID, -1, 0, 0},  /* all of it */
        {2, 3, 1, SL_PAD_VALID, -1, 0, -1}, /* max(2, 3) - 2 = 1 zero cell added */
        {3, 2, 1, SL_PAD_VALID, 1, 0, -1},
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        int before, after;
        sl_conv_transpose_cuts(c[i].k, c[i].s, c[i].d, c[i].pad, c[i].op, &before, &after);
        ck_assert_msg(before == c[i].before && after == c[i].after,
                      "case %zu: cuts (%d, %d), want (%d, %d)", i, before, after, c[i].before,
                      c[i].after);
    }
}
END_TEST

/* Copy `n` values into parameter p of m. */
static void set_param(SlModel *m, int p, const sl_real *v, size_t n)
{
    ck_assert_int_eq(sl_tensor_count(&m->params[p]->value), n);
    memcpy(m->params[p]->value.data, v, n * sizeof *v);
}

/* QUESTIONS.md item 18: a Conv2DTranspose is a Conv2D's backward pass. With the same kernel
 * numbers, the transposed layer's output is the Conv2D's input gradient, and the transposed
 * layer's input gradient is the Conv2D's output (no bias): both ways, for 'same' and for 'valid'
 * with output_padding. */
START_TEST(test_transpose_is_conv_backward)
{
    static const struct {
        const char *conv, *transposed;
        int in[4], out[4];
    } c[] = {
        {"3, (3, 2), strides=2, padding='same', use_bias=False",
         "2, (3, 2), strides=2, padding='same', use_bias=False",
         {1, 6, 8, 2},
         {1, 3, 4, 3}},
        {"3, 3, strides=2, use_bias=False",
         "2, 3, strides=2, output_padding=(1, 0), use_bias=False",
         {1, 8, 7, 2},
         {1, 3, 3, 3}},
    };
    SlError e;
    SlShape xs = sl_shape_of(4, c[_i].in), ys = sl_shape_of(4, c[_i].out);
    sl_clear_session();
    SlModel *conv = tu_one_layer("Conv2D", c[_i].conv, xs, &e);
    SlModel *tr = tu_one_layer("Conv2DTranspose", c[_i].transposed, ys, &e);
    ck_assert_msg(conv && tr, "%s", e.msg);
    SlShape tro = sl_model_output_shape(tr, 0);
    ck_assert(sl_shape_equal(&tro, &xs)); /* the way back up gives the shape back */
    ck_assert(sl_model_init_params(conv, 1, &e) == 0 && sl_model_init_params(tr, 1, &e) == 0);
    size_t nk = sl_tensor_count(&conv->params[0]->value), nx = sl_shape_count(&xs),
           ny = sl_shape_count(&ys);
    ck_assert_int_eq(sl_tensor_count(&tr->params[0]->value), nk); /* (kh, kw, 2, 3) both */
    sl_real *K = malloc(nk * sizeof *K), *x = malloc(nx * sizeof *x), *dy = malloc(ny * sizeof *dy);
    SlRng r = sl_rng(18);
    for (size_t i = 0; i < nk; i++)
        K[i] = (sl_real)sl_rng_range(&r, -1, 1);
    for (size_t i = 0; i < nx; i++)
        x[i] = (sl_real)sl_rng_range(&r, -1, 1);
    for (size_t i = 0; i < ny; i++)
        dy[i] = (sl_real)sl_rng_range(&r, -1, 1);
    set_param(conv, 0, K, nk);
    set_param(tr, 0, K, nk);
    /* Conv2D forward on x and backward from dy */
    SlTensor xt = sl_tensor(xs, x), dyt = sl_tensor(ys, dy);
    ck_assert(sl_model_forward(conv, &xt, 0, &e) == 0 && sl_model_backward(conv, &dyt, 0, &e) == 0);
    /* the transposed layer forward on dy, and backward from x */
    ck_assert(sl_model_forward(tr, &dyt, 0, &e) == 0);
    tu_assert_close("Conv2DTranspose(dy) = Conv2D's dx", sl_model_output(tr, 0).data,
                    sl_model_input_grad(conv, 0).data, nx);
    ck_assert(sl_model_backward(tr, &xt, 0, &e) == 0);
    tu_assert_close("Conv2DTranspose's dx from x = Conv2D(x)", sl_model_input_grad(tr, 0).data,
                    sl_model_output(conv, 0).data, ny);
    free(K), free(x), free(dy);
    sl_model_free(conv);
    sl_model_free(tr);
}
END_TEST

/* docs/layers/upsampling.md's example: the ramp 0, 1, 2 made twice as long. Nearest repeats;
 * bilinear lines the cells' centres up, so the new cells sit a quarter of a cell either side of
 * the old centres, and the ends repeat. */
START_TEST(test_upsampling_worked_example)
{
    static const struct {
        const char *type, *args;
        sl_real want[6];
    } c[] = {{"UpSampling1D", "2", {0, 0, 1, 1, 2, 2}},
             {"UpSampling2D", "(1, 2), interpolation='bilinear'", {0, 0.25, 0.75, 1.25, 1.75, 2}}};
    for (int i = 0; i < 2; i++) {
        SlError e;
        int d3[3] = {1, 3, 1}, d4[4] = {1, 1, 3, 1};
        SlShape xs = i == 0 ? sl_shape_of(3, d3) : sl_shape_of(4, d4);
        sl_clear_session();
        SlModel *m = tu_one_layer(c[i].type, c[i].args, xs, &e);
        ck_assert_msg(m != NULL, "%s", e.msg);
        sl_real x[3] = {0, 1, 2};
        SlTensor xt = sl_tensor(xs, x);
        ck_assert(sl_model_forward(m, &xt, 0, &e) == 0);
        tu_assert_close(c[i].type, sl_model_output(m, 0).data, c[i].want, 6);
        sl_model_free(m);
    }
}
END_TEST

/* The way back up learns: 18_conv_transpose.py's autoencoder, and the same with UpSampling2D and
 * a Conv2D instead of the transposed layer, trained with Adam to reproduce smooth 16x16 images,
 * halve their loss. */
START_TEST(test_way_back_up_trains)
{
    static const char *const up[][2] = {
        {"Conv2DTranspose", "1, 3, strides=2, padding='same'"},
        {"UpSampling2D", "2, interpolation='bilinear'"},
    };
    enum { N = 64, S = 16 };
    SlError e;
    sl_clear_session();
    SlModel *m = sl_sequential(NULL);
    ck_assert(sl_model_add(m, sl_layer("InputLayer", "shape=(16, 16, 1)", &e), &e) == 0);
    ck_assert(sl_model_add(m, sl_layer("Conv2D", "8, 3, strides=2, padding='same'", &e), &e) == 0);
    ck_assert(sl_model_add(m, sl_layer(up[_i][0], up[_i][1], &e), &e) == 0);
    if (_i == 1)
        ck_assert(sl_model_add(m, sl_layer("Conv2D", "1, 3, padding='same'", &e), &e) == 0);
    ck_assert(sl_model_init_params(m, 3, &e) == 0 &&
              sl_compile(m, "loss='mse', optimizer='adam'", &e) == 0);
    static sl_real x[N * S * S];
    SlRng r = sl_rng(18);
    for (int n = 0; n < N; n++) { /* a smooth wave of random direction and phase */
        double a = sl_rng_range(&r, 0.2, 0.8), b = sl_rng_range(&r, 0.2, 0.8),
               p = sl_rng_range(&r, 0, 6.28);
        for (int i = 0; i < S * S; i++)
            x[n * S * S + i] = (sl_real)sin(a * (i / S) + b * (i % S) + p);
    }
    SlTensor X = sl_tensor(sl_shape_of(4, (int[]){N, S, S, 1}), x);
    SlFitOptions o = sl_fit_defaults();
    o.epochs = 30, o.batch_size = 16, o.verbose = 0, o.seed = 4;
    SlHistory h;
    ck_assert_msg(sl_model_fit(m, &X, &X, &o, &h, &e) == 0, "%s", e.msg);
    double first = sl_history_get(&h, "loss", 0), last = sl_history_get(&h, "loss", o.epochs - 1);
    ck_assert_msg(last < first / 2, "%s: loss %g -> %g", up[_i][0], first, last);
    sl_history_free(&h);
    sl_model_free(m);
}
END_TEST

/* The receptive field's table stops at a transposed window and says why. */
START_TEST(test_receptive_stops_at_transposed)
{
    SlError e;
    sl_clear_session();
    SlModel *m = sl_sequential(NULL);
    ck_assert(sl_model_add(m, sl_layer("InputLayer", "shape=(12, 1)", &e), &e) == 0);
    ck_assert(sl_model_add(m, sl_layer("Conv1D", "2, 3, strides=2", &e), &e) == 0);
    ck_assert(sl_model_add(m, sl_layer("UpSampling1D", "2", &e), &e) == 0);
    ck_assert(sl_model_add(m, sl_layer("Conv1DTranspose", "1, 3", &e), &e) == 0);
    SlReceptive r;
    ck_assert_msg(sl_receptive_field(m, &r, &e) == 0, "%s", e.msg);
    ck_assert_int_eq(r.n, 1);
    ck_assert_int_eq(r.ended_at, 2);
    char buf[2048];
    sl_receptive_format(m, &r, buf, sizeof buf);
    ck_assert_msg(strstr(buf, "up to 'up_sampling1d', which spreads each step over 2 output "
                              "steps (a transposed window"),
                  "%s", buf);
    sl_model_free(m);
}
END_TEST

/* Keras's other spellings build the same class, named after it, with a notice. */
START_TEST(test_aliases)
{
    static const char *const pairs[][3] = {
        {"MaxPool1D", "MaxPooling1D", "max_pooling1d"},
        {"MaxPool2D", "MaxPooling2D", "max_pooling2d"},
        {"AvgPool1D", "AveragePooling1D", "average_pooling1d"},
        {"AvgPool2D", "AveragePooling2D", "average_pooling2d"},
        {"Convolution1D", "Conv1D", "conv1d"},
        {"Convolution2D", "Conv2D", "conv2d"},
        {"Convolution1DTranspose", "Conv1DTranspose", "conv1d_transpose"},
        {"Convolution2DTranspose", "Conv2DTranspose", "conv2d_transpose"}};
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        SlError e;
        sl_clear_session();
        SlLayer *l = sl_layer(pairs[i][0], i < 4 ? "2" : "2, 3", &e);
        ck_assert_msg(l != NULL, "%s: %s", pairs[i][0], e.msg);
        ck_assert_str_eq(l->type->name, pairs[i][1]);
        ck_assert_str_eq(l->name, pairs[i][2]);
        ck_assert_msg(strstr(l->notice, "another spelling of"), "%s", l->notice);
        ck_assert(sl_layer_name_known(pairs[i][0]));
        sl_layer_free(l);
    }
}
END_TEST

/* The summary of a ../shared/models script (or of ours, given with its path), as `shapelab
 * summary` prints it. */
static char *script_summary(const char *file)
{
    static const SlScriptOptions quiet;
    char path[512], *buf = NULL;
    size_t len = 0;
    if (strchr(file, '/')) /* one of ours */
        snprintf(path, sizeof path, "%s", file);
    else
        snprintf(path, sizeof path, "%s/%s", SL_SHARED_MODELS, file);
    SlError e;
    SlScript *s = sl_script_run(path, &quiet, &e);
    ck_assert_msg(s != NULL, "%s", e.msg);
    SlModel *m = sl_script_model(s, &e);
    ck_assert_msg(m != NULL, "%s", e.msg);
    FILE *f = open_memstream(&buf, &len);
    ck_assert_msg(sl_model_summary(m, sl_script_summary_width(s), f, &e) == 0, "%s", e.msg);
    fclose(f);
    sl_script_free(s);
    return buf;
}

/* Golden summaries of the convolution scripts: the figures of their headers. */
static const struct {
    const char *file, *want;
} goldens[] = {
    {"10_causal_dilated.py", "Model: \"sequential\"\n"
                             "_________________________________________________________________\n"
                             "Layer (type)                 Output Shape              Param #   \n"
                             "=================================================================\n"
                             "conv1d (Conv1D)              (None, None, 16)          112       \n"
                             "_________________________________________________________________\n"
                             "conv1d_1 (Conv1D)            (None, None, 16)          784       \n"
                             "_________________________________________________________________\n"
                             "conv1d_2 (Conv1D)            (None, None, 16)          784       \n"
                             "_________________________________________________________________\n"
                             "conv1d_3 (Conv1D)            (None, None, 16)          784       \n"
                             "_________________________________________________________________\n"
                             "dense (Dense)                (None, None, 1)           17        \n"
                             "=================================================================\n"
                             "Total params: 2,481\n"
                             "Trainable params: 2,481\n"
                             "Non-trainable params: 0\n"
                             "_________________________________________________________________\n"},
    {"12_conv2d_channels.py",
     "Model: \"sequential\"\n"
     "_________________________________________________________________\n"
     "Layer (type)                 Output Shape              Param #   \n"
     "=================================================================\n"
     "conv2d (Conv2D)              (None, 28, 28, 32)        832       \n"
     "_________________________________________________________________\n"
     "max_pooling2d (MaxPooling2D) (None, 14, 14, 32)        0         \n"
     "_________________________________________________________________\n"
     "conv2d_1 (Conv2D)            (None, 14, 14, 64)        51264     \n"
     "=================================================================\n"
     "Total params: 52,096\n"
     "Trainable params: 52,096\n"
     "Non-trainable params: 0\n"
     "_________________________________________________________________\n"},
    {"18_conv_transpose.py", "Model: \"sequential\"\n"
                             "_________________________________________________________________\n"
                             "Layer (type)                 Output Shape              Param #   \n"
                             "=================================================================\n"
                             "conv2d (Conv2D)              (None, 8, 8, 8)           80        \n"
                             "_________________________________________________________________\n"
                             "conv2d_transpose (Conv2DTran (None, 16, 16, 1)         73        \n"
                             "spose)                                                           \n"
                             "=================================================================\n"
                             "Total params: 153\n"
                             "Trainable params: 153\n"
                             "Non-trainable params: 0\n"
                             "_________________________________________________________________\n"},
    {"tests/scripts/models/decoder_upsampling.py",
     "Model: \"sequential\"\n"
     "_________________________________________________________________\n"
     "Layer (type)                 Output Shape              Param #   \n"
     "=================================================================\n"
     "conv2d (Conv2D)              (None, 7, 7, 8)           80        \n"
     "_________________________________________________________________\n"
     "conv2d_transpose (Conv2DTran (None, 14, 14, 4)         292       \n"
     "spose)                                                           \n"
     "_________________________________________________________________\n"
     "up_sampling2d (UpSampling2D) (None, 28, 28, 4)         0         \n"
     "_________________________________________________________________\n"
     "conv2d_1 (Conv2D)            (None, 28, 28, 1)         37        \n"
     "_________________________________________________________________\n"
     "cropping2d (Cropping2D)      (None, 24, 24, 1)         0         \n"
     "=================================================================\n"
     "Total params: 409\n"
     "Trainable params: 409\n"
     "Non-trainable params: 0\n"
     "_________________________________________________________________\n"},
    {"13_conv_backprop.py", "Model: \"sequential\"\n"
                            "_________________________________________________________________\n"
                            "Layer (type)                 Output Shape              Param #   \n"
                            "=================================================================\n"
                            "conv1d (Conv1D)              (None, 4, 1)              4         \n"
                            "=================================================================\n"
                            "Total params: 4\n"
                            "Trainable params: 4\n"
                            "Non-trainable params: 0\n"
                            "_________________________________________________________________\n"},
};
enum { N_GOLDENS = sizeof goldens / sizeof goldens[0] };

START_TEST(test_summary_golden)
{
    char *s = script_summary(goldens[_i].file);
    ck_assert_str_eq(s, goldens[_i].want);
    free(s);
}
END_TEST

/* A mask marks the steps on axis 1; GlobalAveragePooling1D with channels_first has its channels
 * there, so it refuses a mask (Keras's masked mean would not broadcast either). */
START_TEST(test_channels_first_masked_refused)
{
    static const char text[] = "from tensorflow import keras\n"
                               "from tensorflow.keras import layers\n"
                               "model = keras.Sequential([\n"
                               "    layers.Masking(input_shape=(5, 3)),\n"
                               "    layers.GlobalAveragePooling1D(data_format='channels_first'),\n"
                               "])\n";
    static const SlScriptOptions quiet;
    SlError e;
    sl_clear_session();
    SlScript *sc = sl_script_run_text("masked.py", text, strlen(text), &quiet, &e);
    ck_assert(sc == NULL);
    ck_assert_msg(strstr(e.msg, "no mask with data_format='channels_first'"), "%s", e.msg);
    ck_assert_msg(strstr(e.msg, "(None, 5, 3)"), "%s", e.msg);
}
END_TEST

/* The facts a channels_first layer declares: axis 1 holds the channels, so no step or row of
 * axis 1 follows its own (steps ALL, no window: the receptive field stops there), and the conv
 * scenes, which draw channels_last tensors and filters over every channel, are not claimed; a
 * grouped Conv keeps its window but claims no scene either. */
static const struct {
    const char *type, *args;
    int window, scenes;
} cf_facts[] = {
    {"Conv1D", "2, 3, data_format='channels_first'", 0, 0},
    {"Conv2D", "2, 3, data_format='channels_first'", 0, 0},
    {"Conv2DTranspose", "2, 3, data_format='channels_first'", 0, 0},
    {"MaxPooling1D", "2, data_format='channels_first'", 0, 0},
    {"ZeroPadding2D", "1, 'channels_first'", 0, 0},
    {"UpSampling2D", "2, 'channels_first'", 0, 0},
    {"Conv1D", "4, 3, groups=2", 1, 0},
    {"Conv2D", "2, 3", 1, 2}, /* for contrast: channels_last, one group */
};
enum { N_CF_FACTS = sizeof cf_facts / sizeof cf_facts[0] };

START_TEST(test_channels_first_facts)
{
    SlError e;
    SlLayer *l = sl_layer(cf_facts[_i].type, cf_facts[_i].args, &e);
    ck_assert_msg(l != NULL, "%s", e.msg);
    SlWindowGeom w;
    SlSceneClaim claims[SL_MAX_CLAIMS];
    ck_assert_int_eq(l->type->window(l, 0, &w), cf_facts[_i].window);
    ck_assert_int_eq(l->steps == SL_STEPS_ALL, !cf_facts[_i].window);
    ck_assert_int_eq(l->type->scenes(l, claims), cf_facts[_i].scenes);
    sl_layer_free(l);
}
END_TEST

/* One model in both formats, the weights drawn with one seed: the kernels keep their layout in
 * both (Keras's), so on the same images, with the channels on axis 1 in one and last in the
 * other, the outputs, the weights' gradients and the input gradients (moved the same way) agree.
 * Flatten(data_format='channels_first') moves the channels last before flattening, so the Dense
 * after it reads its kernel's rows in the same order in both. */
static SlModel *twin_model(int channels_first, SlError *e)
{
    const char *f = channels_first ? "'channels_first'" : "'channels_last'";
    char a[160];
    sl_clear_session();
    SlModel *m = sl_sequential(NULL);
    snprintf(a, sizeof a, "batch_shape=%s", channels_first ? "(2, 4, 5, 6)" : "(2, 5, 6, 4)");
    ck_assert(sl_model_add(m, sl_layer("InputLayer", a, e), e) == 0);
    snprintf(a, sizeof a, "6, 3, padding='same', groups=2, activation='tanh', data_format=%s", f);
    ck_assert_msg(sl_model_add(m, sl_layer("Conv2D", a, e), e) == 0, "%s", e->msg);
    snprintf(a, sizeof a, "2, padding='same', data_format=%s", f);
    ck_assert_msg(sl_model_add(m, sl_layer("MaxPooling2D", a, e), e) == 0, "%s", e->msg);
    snprintf(a, sizeof a, "data_format=%s", f);
    ck_assert_msg(sl_model_add(m, sl_layer("Flatten", a, e), e) == 0, "%s", e->msg);
    ck_assert_msg(sl_model_add(m, sl_layer("Dense", "3", e), e) == 0, "%s", e->msg);
    ck_assert_msg(sl_model_init_params(m, 7, e) == 0, "%s", e->msg);
    return m;
}

START_TEST(test_channels_first_twin)
{
    enum { B = 2, C = 4, H = 5, W = 6, N = B * C * H * W };
    static sl_real first[N], last[N], dx_last_moved[N];
    SlError e;
    SlRng rng = sl_rng(11);
    for (int b = 0; b < B; b++) /* last[b][h][w][c] = first[b][c][h][w] */
        for (int c = 0; c < C; c++)
            for (int h = 0; h < H; h++)
                for (int w = 0; w < W; w++) {
                    sl_real v = (sl_real)sl_rng_range(&rng, -1, 1);
                    first[((b * C + c) * H + h) * W + w] = v;
                    last[((b * H + h) * W + w) * C + c] = v;
                }
    sl_real dy[B * 3] = {0.5, -1, 2, 1.5, 0.25, -0.75};
    SlTensor g = sl_tensor(sl_shape_of(2, (int[]){B, 3}), dy);
    SlModel *mf = twin_model(1, &e), *ml = twin_model(0, &e);
    ck_assert_int_eq(sl_model_count_params(mf), sl_model_count_params(ml));
    SlTensor xf = sl_tensor(sl_shape_of(4, (int[]){B, C, H, W}), first);
    SlTensor xl = sl_tensor(sl_shape_of(4, (int[]){B, H, W, C}), last);
    ck_assert_msg(sl_model_forward(mf, &xf, 0, &e) == 0, "%s", e.msg);
    ck_assert_msg(sl_model_forward(ml, &xl, 0, &e) == 0, "%s", e.msg);
    tu_assert_close("y", sl_model_output(mf, 0).data, sl_model_output(ml, 0).data, B * 3);
    ck_assert_msg(sl_model_backward(mf, &g, 0, &e) == 0, "%s", e.msg);
    ck_assert_msg(sl_model_backward(ml, &g, 0, &e) == 0, "%s", e.msg);
    for (int i = 0; i < mf->n_params; i++) {
        const SlParam *pf = mf->params[i], *pl = ml->params[i];
        ck_assert(sl_shape_equal(&pf->shape, &pl->shape));
        tu_assert_close(pf->name, pf->grad.data, pl->grad.data, sl_shape_count(&pf->shape));
    }
    const sl_real *dxf = sl_model_input_grad(mf, 0).data;
    for (int b = 0; b < B; b++)
        for (int c = 0; c < C; c++)
            for (int h = 0; h < H; h++)
                for (int w = 0; w < W; w++)
                    dx_last_moved[((b * H + h) * W + w) * C + c] =
                        dxf[((b * C + c) * H + h) * W + w];
    tu_assert_close("dx", dx_last_moved, sl_model_input_grad(ml, 0).data, N);
    sl_model_free(mf);
    sl_model_free(ml);
}
END_TEST

/* The summary of a channels_first model with groups, pasted as a learner writes it. Keras's
 * figures, worked by hand from build() and compute_output_shape (channels on axis 1):
 *   Conv2D(8, 3) on (4, 28, 28): 3*3*4*8 + 8 = 296, (8, 26, 26)
 *   Conv2D(16, 3, 'same', groups=4): kernel (3, 3, 8/4, 16), 3*3*2*16 + 16 = 304, (16, 26, 26)
 *   MaxPooling2D(2): (16, 13, 13); ZeroPadding2D(1): (16, 15, 15);
 *   Cropping2D(((1, 0), (0, 1))): (16, 14, 14); UpSampling2D(2): (16, 28, 28)
 *   Conv2D(4, 1, groups=2): 1*1*(16/2)*4 + 4 = 36, (4, 28, 28)
 *   Flatten: 4*28*28 = 3136; Dense(10): 3136*10 + 10 = 31370
 *   Total 296 + 304 + 36 + 31370 = 32006. GlobalAveragePooling2D keeps the channels: (None, 4). */
START_TEST(test_channels_first_summary)
{
    static const char text[] =
        "from tensorflow import keras\n"
        "from tensorflow.keras import layers\n"
        "cf = 'channels_first'\n"
        "model = keras.Sequential([\n"
        "    layers.Conv2D(8, 3, activation='relu', data_format=cf, input_shape=(4, 28, 28)),\n"
        "    layers.Conv2D(16, 3, 1, 'same', cf, groups=4),\n"
        "    layers.MaxPooling2D(2, data_format=cf),\n"
        "    layers.ZeroPadding2D(1, cf),\n"
        "    layers.Cropping2D(((1, 0), (0, 1)), cf),\n"
        "    layers.UpSampling2D(2, cf),\n"
        "    layers.Conv2D(4, 1, groups=2, data_format=cf),\n"
        "    layers.Flatten(data_format=cf),\n"
        "    layers.Dense(10),\n"
        "])\n";
    char *got = tu_script_summary("channels_first.py", text);
    ck_assert_str_eq(got, "Model: \"sequential\"\n"
                          "_________________________________________________________________\n"
                          "Layer (type)                 Output Shape              Param #   \n"
                          "=================================================================\n"
                          "conv2d (Conv2D)              (None, 8, 26, 26)         296       \n"
                          "_________________________________________________________________\n"
                          "conv2d_1 (Conv2D)            (None, 16, 26, 26)        304       \n"
                          "_________________________________________________________________\n"
                          "max_pooling2d (MaxPooling2D) (None, 16, 13, 13)        0         \n"
                          "_________________________________________________________________\n"
                          "zero_padding2d (ZeroPadding2 (None, 16, 15, 15)        0         \n"
                          "D)                                                               \n"
                          "_________________________________________________________________\n"
                          "cropping2d (Cropping2D)      (None, 16, 14, 14)        0         \n"
                          "_________________________________________________________________\n"
                          "up_sampling2d (UpSampling2D) (None, 16, 28, 28)        0         \n"
                          "_________________________________________________________________\n"
                          "conv2d_2 (Conv2D)            (None, 4, 28, 28)         36        \n"
                          "_________________________________________________________________\n"
                          "flatten (Flatten)            (None, 3136)              0         \n"
                          "_________________________________________________________________\n"
                          "dense (Dense)                (None, 10)                31370     \n"
                          "=================================================================\n"
                          "Total params: 32,006\n"
                          "Trainable params: 32,006\n"
                          "Non-trainable params: 0\n"
                          "_________________________________________________________________\n");
    free(got);
    static const char pooled[] =
        "from tensorflow import keras\n"
        "from tensorflow.keras import layers\n"
        "model = keras.Sequential([\n"
        "    layers.Conv1D(6, 3, groups=3, data_format='channels_first', input_shape=(3, 10)),\n"
        "    layers.GlobalAveragePooling1D(data_format='channels_first'),\n"
        "])\n";
    /* Conv1D(6, 3, groups=3) on (3, 10): kernel (3, 1, 6), 3*1*6 + 6 = 24, (6, 8); pooled (6,) */
    got = tu_script_summary("pooled.py", pooled);
    ck_assert_msg(strstr(got, "(None, 6, 8)              24"), "%s", got);
    ck_assert_msg(strstr(got, "(None, 6)                 0"), "%s", got);
    ck_assert_msg(strstr(got, "Total params: 24\n"), "%s", got);
    free(got);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("conv");
    TCase *tc = tcase_create("pytorch fixtures");
    tcase_set_timeout(tc, 30);
    tcase_add_loop_test(tc, test_fixture, 0, N_FIXTURES);
    suite_add_tcase(s, tc);
#ifdef SL_DOUBLE
    tc = tcase_create("gradient checks");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_gradcheck, 0, N_GC);
    suite_add_tcase(s, tc);
#endif
    tc = tcase_create("errors and kernels");
    tcase_set_timeout(tc, 10);
    tcase_add_loop_test(tc, test_shape_error, 0, N_SHAPE_ERRORS);
    tcase_add_loop_test(tc, test_arg_error, 0, N_ARG_ERRORS);
    tcase_add_test(tc, test_out_len);
    tcase_add_test(tc, test_rotate180);
    tcase_add_test(tc, test_global_average_masked);
    tcase_add_test(tc, test_backprop_worked_example);
    tcase_add_loop_test(tc, test_zero_alloc_training_step, 0, N_ALLOC);
    tcase_add_test(tc, test_mask_dropped);
    tcase_add_test(tc, test_receptive_scene_pick);
    tcase_add_test(tc, test_aliases);
    tcase_add_loop_test(tc, test_receptive_field, 0, N_RF);
    tcase_add_test(tc, test_receptive_wavenet);
    tcase_add_loop_test(tc, test_summary_golden, 0, N_GOLDENS);
    tcase_add_loop_test(tc, test_transpose_keras_sizes, 0, N_KERAS_SIZES);
    tcase_add_test(tc, test_transpose_cuts);
    tcase_add_loop_test(tc, test_transpose_is_conv_backward, 0, 2);
    tcase_add_test(tc, test_upsampling_worked_example);
    tcase_add_test(tc, test_receptive_stops_at_transposed);
    tcase_add_test(tc, test_channels_first_twin);
    tcase_add_loop_test(tc, test_channels_first_facts, 0, N_CF_FACTS);
    tcase_add_test(tc, test_channels_first_masked_refused);
    tcase_add_test(tc, test_channels_first_summary);
    suite_add_tcase(s, tc);
    tc = tcase_create("training");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_way_back_up_trains, 0, 2);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(suite()) ? EXIT_FAILURE : EXIT_SUCCESS;
}
