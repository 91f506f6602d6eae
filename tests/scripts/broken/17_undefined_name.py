# expect: 5:17: name 'n_units' is not defined
from keras.models import Sequential
from keras.layers import Dense
model = Sequential()
model.add(Dense(n_units, input_shape=(4,)))
