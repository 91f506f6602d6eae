# The two ways back up in one decoder: Conv2DTranspose with output_padding, then UpSampling2D
# (bilinear) and a Conv2D, trimmed by Cropping2D. Figures worked from Keras's build and its
# output-size rule (tests/check_conv.c checks them):
#   conv2d (Conv2D)                      (None, 7, 7, 8)    80    3*3*1*8 + 8, 'same': ceil(14 / 2)
#   conv2d_transpose (Conv2DTranspose)   (None, 14, 14, 4)  292   3*3*8*4 + 4, (7 - 1) * 2 + 3 % 2 + 1
#   up_sampling2d (UpSampling2D)         (None, 28, 28, 4)  0
#   conv2d_1 (Conv2D)                    (None, 28, 28, 1)  37    3*3*4*1 + 1
#   cropping2d (Cropping2D)              (None, 24, 24, 1)  0
# Total params: 409
from keras.models import Sequential
from keras.layers import Conv2D, Conv2DTranspose, UpSampling2D, Cropping2D

model = Sequential()
model.add(Conv2D(8, 3, strides=2, padding='same', input_shape=(14, 14, 1)))
model.add(Conv2DTranspose(4, 3, strides=2, padding='same', output_padding=1))
model.add(UpSampling2D(2, interpolation='bilinear'))
model.add(Conv2D(1, 3, padding='same'))
model.add(Cropping2D(2))
model.compile(loss='mse', optimizer='adam')
