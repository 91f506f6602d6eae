# expect: 7:9: Model() takes tensors of one graph
from keras.models import Model, Sequential
from keras.layers import Input, Dense
seq = Sequential([Input(shape=(3,)), Dense(2)])
x = Input(shape=(3,))
y = Dense(2)(x)
model = Model(inputs=seq.input, outputs=y)
