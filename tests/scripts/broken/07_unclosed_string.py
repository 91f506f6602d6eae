# expect: 5:31: string not closed
from keras.models import Sequential
from keras.layers import Dense
model = Sequential()
model.add(Dense(3, activation='relu, input_shape=(4,)))
