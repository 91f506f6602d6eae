# After keras-io examples/vision/mnist_convnet.py ("Simple MNIST convnet"): its model cells, the
# same layers, arguments and idioms (keras.Input first in Sequential([...])), in words of our own.
# total: 34826
#   from the tutorial's printed summary; by hand: Conv2D 3*3*1*32+32 = 320, Conv2D 3*3*32*64+64 =
#   18496, Dense 5*5*64*10+10 = 16010
import numpy as np
from tensorflow import keras
from tensorflow.keras import layers

classes = 10
image = (28, 28, 1)

net = keras.Sequential(
    [
        keras.Input(shape=image),
        layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Flatten(),
        layers.Dropout(0.5),
        layers.Dense(classes, activation="softmax"),
    ]
)
net.summary()

net.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
net.fit(images, labels, batch_size=128, epochs=15, validation_split=0.1)
