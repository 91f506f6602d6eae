# expect: 5:11: argument 'units' must be an integer
from keras.models import Sequential
from keras.layers import Dense
model = Sequential()
model.add(Dense('3', input_shape=(4,)))
