# expect: 7:23: pass --set x_train.shape=(...) with the array's shape
import numpy as np
import keras
from keras import layers
x_train = np.load("x_train.npy")
model = keras.Sequential([
    keras.Input(shape=(x_train.shape[1], 1)),
    layers.Dense(3),
])
