# expect: 7:9: too many layers (at most 256)
from keras.models import Model
from keras.layers import Input, Dense
x = Input(shape=(3,))
h = x
for i in range(256):
    h = Dense(4)(h)
model = Model(inputs=x, outputs=h)
