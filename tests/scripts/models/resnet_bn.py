# ResNet-style blocks with BatchNormalization, as in the ResNet paper: Conv2D (no bias) ->
# BatchNormalization -> relu -> Conv2D -> BatchNormalization, then the shortcut is added and relu
# follows. The second block changes 4 channels to 8, so its shortcut is a 1x1 Conv2D with its own
# BatchNormalization. Figures worked by hand from Keras's build (tests/check_batchnorm.c checks
# them): Conv2D without bias 3*3*in*filters; BatchNormalization 4*C, of which 2*C non-trainable.
#   conv2d 3*3*1*4 = 36, batch_normalization 16
#   block(4):  conv2d_1 3*3*4*4 = 144, batch_normalization_1 16, conv2d_2 144,
#              batch_normalization_2 16
#   projection_block(8):  conv2d_3 3*3*4*8 = 288, batch_normalization_3 32, conv2d_4 3*3*8*8 = 576,
#              batch_normalization_4 32, shortcut conv2d_5 1*1*4*8 = 32, batch_normalization_5 32
#   dense 8*1 + 1 = 9
# total 52 + 320 + 992 + 9
# Total params: 1,373 | Trainable params: 1,301 | Non-trainable params: 72 (2*(4+4+4+8+8+8))
from keras import layers, Input, Model


def conv_bn(x, filters, kernel):
    x = layers.Conv2D(filters, kernel, padding='same', use_bias=False)(x)
    return layers.BatchNormalization()(x)


def block(x, filters):
    y = layers.Activation('relu')(conv_bn(x, filters, 3))
    y = conv_bn(y, filters, 3)
    y = layers.Add()([x, y])                  # x already has `filters` channels
    return layers.Activation('relu')(y)


def projection_block(x, filters):
    y = layers.Activation('relu')(conv_bn(x, filters, 3))
    y = conv_bn(y, filters, 3)
    shortcut = conv_bn(x, filters, 1)         # 1x1: x's channels become `filters`
    y = layers.Add()([shortcut, y])
    return layers.Activation('relu')(y)


inputs = Input(shape=(8, 8, 1))
x = layers.Activation('relu')(conv_bn(inputs, 4, 3))
x = block(x, 4)
x = projection_block(x, 8)
x = layers.GlobalAveragePooling2D()(x)
outputs = layers.Dense(1)(x)
model = Model(inputs, outputs)
model.compile(loss='mse', optimizer='adam')
