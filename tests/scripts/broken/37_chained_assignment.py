# expect: 4:16: chained assignment
from keras.models import Sequential
from keras.layers import Dense
units = hidden = 8
model = Sequential([Dense(units, input_shape=(4,))])
