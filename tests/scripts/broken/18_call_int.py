# expect: 5:27: cannot be called
from keras.models import Sequential
from keras.layers import Dense
units = 3
model = Sequential([Dense(units(4), input_shape=(4,))])
