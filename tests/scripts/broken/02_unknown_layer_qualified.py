# expect: 5:18: does not know keras.layers.Desne()
from keras import layers, models
model = models.Sequential()
model.add(layers.Dense(8, input_shape=(4,)))
model.add(layers.Desne(3))
