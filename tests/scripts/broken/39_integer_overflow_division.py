# expect: 5:18: does not fit in 64 bits
from keras.models import Sequential
from keras.layers import Dense
smallest = -9223372036854775807 - 1
units = smallest // -1
model = Sequential([Dense(units, input_shape=(4,))])
