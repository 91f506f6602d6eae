# Three branches side by side, as in an Inception block, then a gate that broadcasts: a 1x1
# convolution, a 3x3 convolution and a pooled 1x1 convolution read the same input; Concatenate joins
# their channels (8 + 8 + 4 = 20); a per-channel weight (None, 1, 1, 20) from the pooled block
# multiplies every pixel (Multiply repeats it along axes 1 and 2).
#   conv2d 1*1*3*8 + 8 = 32, conv2d_1 3*3*3*8 + 8 = 224, conv2d_2 1*1*3*4 + 4 = 16
#   dense 20*20 + 20 = 420, dense_1 20*1 + 1 = 21
# Total params: 713
from keras import layers, Input, Model

inputs = Input(shape=(8, 8, 3))
a = layers.Conv2D(8, 1, activation='relu')(inputs)
b = layers.Conv2D(8, 3, padding='same', activation='relu')(inputs)
c = layers.MaxPooling2D(3, strides=1, padding='same')(inputs)
c = layers.Conv2D(4, 1, activation='relu')(c)
x = layers.Concatenate()([a, b, c])
g = layers.GlobalAveragePooling2D()(x)
g = layers.Dense(20, activation='sigmoid')(g)
g = layers.Reshape((1, 1, 20))(g)
x = layers.Multiply()([x, g])
x = layers.GlobalAveragePooling2D()(x)
outputs = layers.Dense(1)(x)
model = Model(inputs, outputs)
model.compile(loss='mse', optimizer='adam')
