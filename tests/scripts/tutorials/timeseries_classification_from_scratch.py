# After keras-io examples/timeseries/timeseries_classification_from_scratch.py ("Timeseries
# classification from scratch"): its model cell, a function that makes the model from an input
# shape taken from the data (x_train.shape[1:]), Input(shape) by position, ReLU layers, and
# plot_model; the data is 500 steps of one feature in 2 classes.
# set: x_train.shape=(3601, 500, 1)
# set: num_classes=2
# total: 25858
#   worked by hand (the tutorial plots the model, prints no summary): Conv1D 3*1*64+64 = 256,
#   BatchNormalization 4*64 = 256 (128 of them not trainable), two Conv1D 3*64*64+64 = 12352
#   with BatchNormalization 256 each, Dense 64*2+2 = 130
import keras
import numpy as np


def make_model(input_shape):
    start = keras.layers.Input(input_shape)

    c1 = keras.layers.Conv1D(filters=64, kernel_size=3, padding="same")(start)
    c1 = keras.layers.BatchNormalization()(c1)
    c1 = keras.layers.ReLU()(c1)

    c2 = keras.layers.Conv1D(filters=64, kernel_size=3, padding="same")(c1)
    c2 = keras.layers.BatchNormalization()(c2)
    c2 = keras.layers.ReLU()(c2)

    c3 = keras.layers.Conv1D(filters=64, kernel_size=3, padding="same")(c2)
    c3 = keras.layers.BatchNormalization()(c3)
    c3 = keras.layers.ReLU()(c3)

    pooled = keras.layers.GlobalAveragePooling1D()(c3)
    end = keras.layers.Dense(num_classes, activation="softmax")(pooled)
    return keras.models.Model(inputs=start, outputs=end)


model = make_model(input_shape=x_train.shape[1:])
keras.utils.plot_model(model, show_shapes=True)
