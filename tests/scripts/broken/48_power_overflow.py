# expect: 4:11: the integer result of '**' does not fit in 64 bits
from keras.models import Sequential
from keras.layers import Dense
units = 3 ** 10**18
model = Sequential([Dense(units, input_shape=(4,))])
