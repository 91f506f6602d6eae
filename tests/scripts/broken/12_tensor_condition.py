# expect: 6:4: a symbolic tensor cannot be used as a condition
from keras.layers import Input, Dense
from keras.models import Model
x = Input(shape=(4,))
y = Dense(3)(x)
if y:
    y = Dense(2)(y)
model = Model(x, y)
