# expect: 6:9: these tensors already make a model
from keras.models import Model
from keras.layers import Input, Dense
x = Input(shape=(3,))
first = Model(inputs=x, outputs=Dense(2)(x))
model = Model(inputs=x, outputs=Dense(4)(x))
