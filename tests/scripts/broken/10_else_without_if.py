# expect: 5:1: this 'elif' or 'else' follows no 'if'
from keras.models import Sequential
from keras.layers import Dense
model = Sequential()
else:
    model.add(Dense(3, input_shape=(4,)))
