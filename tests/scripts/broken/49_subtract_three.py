# expect: 6:12: takes exactly 2 tensors, got 3
from keras import layers, Input, Model
a = Input(shape=(4,))
b = Input(shape=(4,))
c = Input(shape=(4,))
d = layers.subtract([a, b, c])
model = Model([a, b, c], d)
