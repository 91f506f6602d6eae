# expect: 5:1: 'return' outside a function
from keras.models import Sequential
from keras.layers import Dense
model = Sequential()
return model
model.add(Dense(3, input_shape=(4,)))
