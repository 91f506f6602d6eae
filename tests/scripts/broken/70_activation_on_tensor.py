# expect: 6:23: calling relu on a tensor is not supported yet: write layers.Activation('relu')(x)
import keras
from keras import layers
x = keras.Input(shape=(4,))
h = layers.Dense(3)(x)
h = keras.activations.relu(h)
