# expect: 4:21: ';' between statements is not understood
from keras.models import Sequential
from keras.layers import Dense
model = Sequential(); model.add(Dense(3, input_shape=(4,)))
