# expect: 7:9: Model() takes tensors of one graph
from keras.models import Model
from keras.layers import Input, Dense
a = Input(shape=(3,))
first = Model(inputs=a, outputs=Dense(2)(a))
b = Input(shape=(3,))
model = Model(inputs=b, outputs=Dense(2)(a))
