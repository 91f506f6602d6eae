# After keras-io examples/timeseries/timeseries_anomaly_detection.py ("Timeseries anomaly
# detection using an Autoencoder"): the sequence-making and model cells, an Input shaped from
# the data (x_train.shape[1], x_train.shape[2]) and Conv1DTranspose; the array's shape comes from
# the data, (3745, 288, 1) in the tutorial.
# set: x_train.shape=(3745, 288, 1)
# total: 9505
#   from the tutorial's printed summary; by hand: Conv1D 7*1*32+32 = 256, Conv1D 7*32*16+16 =
#   3600, Conv1DTranspose 7*16*16+16 = 1808, Conv1DTranspose 7*16*32+32 = 3616,
#   Conv1DTranspose 7*32*1+1 = 225
import numpy as np
from tensorflow import keras
from tensorflow.keras import layers

TIME_STEPS = 288


def windows(values, time_steps=TIME_STEPS):
    out = []
    for i in range(len(values) - time_steps + 1):
        out.append(values[i : (i + time_steps)])
    return np.stack(out)


x_train = windows(normalized.values)
print("Training input shape: ", x_train.shape)

model = keras.Sequential(
    [
        layers.Input(shape=(x_train.shape[1], x_train.shape[2])),
        layers.Conv1D(filters=32, kernel_size=7, padding="same", strides=2, activation="relu"),
        layers.Dropout(rate=0.2),
        layers.Conv1D(filters=16, kernel_size=7, padding="same", strides=2, activation="relu"),
        layers.Conv1DTranspose(
            filters=16, kernel_size=7, padding="same", strides=2, activation="relu"
        ),
        layers.Dropout(rate=0.2),
        layers.Conv1DTranspose(
            filters=32, kernel_size=7, padding="same", strides=2, activation="relu"
        ),
        layers.Conv1DTranspose(filters=1, kernel_size=7, padding="same"),
    ]
)
model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.001), loss="mse")
model.summary()
