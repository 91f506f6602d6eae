# A small U-Net, written as a learner writes one: on the way down Conv2D + BatchNormalization +
# relu, then MaxPooling2D; on the way up Conv2DTranspose doubles the size and Concatenate joins
# the skip connection from the same size on the way down. Figures worked by hand from Keras's
# build (tests/check_batchnorm.c checks them):
#   Conv2D without bias: 3*3*in*filters.  BatchNormalization: 4*C (gamma, beta trained; the
#   moving mean and variance not).  Conv2DTranspose: k*k*filters*in + filters.
#   conv2d                 (None, 8, 8, 4)   3*3*1*4 = 36
#   batch_normalization    (None, 8, 8, 4)   4*4 = 16      (8 non-trainable)
#   conv2d_1               (None, 4, 4, 8)   3*3*4*8 = 288
#   batch_normalization_1  (None, 4, 4, 8)   4*8 = 32      (16 non-trainable)
#   conv2d_2               (None, 2, 2, 16)  3*3*8*16 = 1152
#   batch_normalization_2  (None, 2, 2, 16)  4*16 = 64     (32 non-trainable)
#   conv2d_transpose       (None, 4, 4, 8)   2*2*8*16 + 8 = 520
#   concatenate            (None, 4, 4, 16)  8 + 8 channels
#   conv2d_3               (None, 4, 4, 8)   3*3*16*8 + 8 = 1160
#   conv2d_transpose_1     (None, 8, 8, 4)   2*2*4*8 + 4 = 132
#   concatenate_1          (None, 8, 8, 8)   4 + 4 channels
#   conv2d_4               (None, 8, 8, 4)   3*3*8*4 + 4 = 292
#   conv2d_5               (None, 8, 8, 1)   1*1*4*1 + 1 = 5
# Total params: 3,697 | Trainable params: 3,641 | Non-trainable params: 56
from keras import layers, Input, Model


def down(x, filters):
    x = layers.Conv2D(filters, 3, padding='same', use_bias=False)(x)  # beta is the bias
    x = layers.BatchNormalization()(x)
    return layers.Activation('relu')(x)


inputs = Input(shape=(8, 8, 1))
c1 = down(inputs, 4)                             # 8x8, kept for the skip
c2 = down(layers.MaxPooling2D(2)(c1), 8)         # 4x4, kept for the skip
bottom = down(layers.MaxPooling2D(2)(c2), 16)    # 2x2
u2 = layers.Conv2DTranspose(8, 2, strides=2)(bottom)      # back to 4x4
x = layers.Concatenate()([u2, c2])
x = layers.Conv2D(8, 3, padding='same', activation='relu')(x)
u1 = layers.Conv2DTranspose(4, 2, strides=2)(x)           # back to 8x8
x = layers.Concatenate()([u1, c1])
x = layers.Conv2D(4, 3, padding='same', activation='relu')(x)
outputs = layers.Conv2D(1, 1, activation='sigmoid')(x)    # a mask: each pixel in or out
model = Model(inputs, outputs)
model.compile(loss='binary_crossentropy', optimizer='adam')
