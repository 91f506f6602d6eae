# expect: 5:14: comparisons are not understood
from keras.models import Sequential
from keras.layers import Dense
units = 3
deep = units > 2
model = Sequential([Dense(units, input_shape=(4,))])
