# After keras-io examples/timeseries/lstm_vs_cnn_timeseries_classification.py ("Timeseries
# Classification with LSTM and CNN Models"): its two model-making functions and the cell that
# calls them with a shape from the data, two models in one script; the data is 500 steps of one
# feature in 2 classes.
# set: x_train.shape=(3601, 500, 1)
# set: num_classes=2
# total of lstm_model: 29874
#   worked by hand: LSTM 4*(64*(1+64)+64) = 16896, LSTM
#   4*(32*(64+32)+32) = 12416, Dense 32*16+16 = 528, Dense 16*2+2 = 34
# total of cnn_model: 44466
#   worked by hand: Conv1D 7*1*64+64 = 512, BatchNormalization 4*64 = 256, Conv1D
#   5*64*128+128 = 41088, BatchNormalization 4*128 = 512, Dense 128*16+16 = 2064, Dense 16*2+2 = 34
import numpy as np
import keras
from keras import layers


def lstm_classifier(input_shape, num_classes):
    net = keras.Sequential([
        layers.Input(shape=input_shape),
        layers.LSTM(64, return_sequences=True, dropout=0.3, recurrent_dropout=0.3),
        layers.LSTM(32, dropout=0.3, recurrent_dropout=0.3),
        layers.Dense(16, activation="relu"),
        layers.Dense(num_classes, activation="softmax")
    ])
    return net


def cnn_classifier(input_shape, num_classes):
    net = keras.Sequential([
        layers.Input(shape=input_shape),
        layers.Conv1D(filters=64, kernel_size=7, padding="same", activation="relu"),
        layers.BatchNormalization(),
        layers.MaxPooling1D(pool_size=2),
        layers.Dropout(0.3),
        layers.Conv1D(filters=128, kernel_size=5, padding="same", activation="relu"),
        layers.BatchNormalization(),
        layers.MaxPooling1D(pool_size=2),
        layers.Dropout(0.3),
        layers.GlobalAveragePooling1D(),
        layers.Dense(16, activation="relu"),
        layers.Dense(num_classes, activation="softmax")
    ])
    return net


input_shape = x_train.shape[1:]
lstm_model = lstm_classifier(input_shape, num_classes)
cnn_model = cnn_classifier(input_shape, num_classes)
