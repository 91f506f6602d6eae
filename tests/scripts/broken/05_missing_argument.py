# expect: 5:11: missing the required argument 'units'
from keras.models import Sequential
from keras.layers import Dense
model = Sequential()
model.add(Dense(input_shape=(4,)))
