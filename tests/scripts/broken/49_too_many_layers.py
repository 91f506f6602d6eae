# expect: 7:15: too many layers (at most 256)
from keras.models import Sequential
from keras.layers import Dense
model = Sequential()
model.add(Dense(4, input_shape=(3,)))
for i in range(256):
    model.add(Dense(4))
