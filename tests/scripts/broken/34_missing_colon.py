# expect: 5:1: expected ':'
from keras.models import Sequential
from keras.layers import Dense
model = Sequential([Dense(8, input_shape=(4,))])
for units in [4, 2]
    model.add(Dense(units))
