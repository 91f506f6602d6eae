# expect: 6:11: add() takes a layer
from keras.models import Sequential
from keras.layers import Dense
model = Sequential()
model.add(Dense(3, input_shape=(4,)))
model.add(3)
