# expect: 5:7: compile: loss names no output 'dense'
from keras.models import Sequential
from keras.layers import Dense
model = Sequential([Dense(3, input_shape=(4,))])
model.compile(loss={'out': 'mse'}, optimizer='sgd')
