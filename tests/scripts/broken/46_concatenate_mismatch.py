# expect: 6:10: Concatenate(axis=-1) needs equal shapes except on axis -1: (None, 10, 32) and (None, 12, 8) differ on axis 1
from keras.layers import Input, Concatenate
from keras.models import Model
a = Input(shape=(10, 32))
b = Input(shape=(12, 8))
joined = Concatenate(axis=-1)([a, b])
model = Model([a, b], joined)
