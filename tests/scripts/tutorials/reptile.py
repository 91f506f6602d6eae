# After keras-io examples/vision/reptile.py ("Few-Shot learning with Reptile"): its
# hyperparameter and model cells, a helper function that returns a tensor, called four times.
# total: 113733
#   worked by hand (the tutorial prints no summary): Conv2D 3*3*1*64+64 = 640, three Conv2D
#   3*3*64*64+64 = 36928, four BatchNormalization 4*64 = 256, Dense 2*2*64*5+5 = 1285
import keras
from keras import layers

learning_rate = 0.003
classes = 5


def conv_block(x):
    x = layers.Conv2D(filters=64, kernel_size=3, strides=2, padding="same")(x)
    x = layers.BatchNormalization()(x)
    return layers.ReLU()(x)


images = layers.Input(shape=(28, 28, 1))
h = conv_block(images)
h = conv_block(h)
h = conv_block(h)
h = conv_block(h)
h = layers.Flatten()(h)
probabilities = layers.Dense(classes, activation="softmax")(h)
model = keras.Model(inputs=images, outputs=probabilities)
model.compile()
optimizer = keras.optimizers.SGD(learning_rate=learning_rate)
