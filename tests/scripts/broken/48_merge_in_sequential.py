# expect: 6:11: merges a list of tensors, got one tensor
from keras.models import Sequential
from keras.layers import Dense, Add
model = Sequential()
model.add(Dense(4, input_shape=(3,)))
model.add(Add())
