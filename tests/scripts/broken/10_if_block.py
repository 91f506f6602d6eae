# expect: 5:1: 'if' blocks are not understood
from keras.models import Sequential
from keras.layers import Dense
model = Sequential()
if True:
    model.add(Dense(3, input_shape=(4,)))
