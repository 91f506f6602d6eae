# expect: 6:11: multiply to 500
from keras.models import Sequential
from keras.layers import Dense, Reshape
model = Sequential()
model.add(Dense(500, input_shape=(10,)))
model.add(Reshape((4, 120)))
