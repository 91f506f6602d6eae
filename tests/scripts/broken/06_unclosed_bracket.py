# expect: 5:10: '(' was never closed
from keras.models import Sequential
from keras.layers import Dense
model = Sequential()
model.add(Dense(3, input_shape=(4,))
