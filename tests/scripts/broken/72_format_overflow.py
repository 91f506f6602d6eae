# expect: 4:14: '%i' of 1e+84 does not fit in 64 bits
from keras.models import Sequential
from keras.layers import Dense
name = 'd%i' % 1e84
model = Sequential([Dense(3, input_shape=(4,), name=name)])
