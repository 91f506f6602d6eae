# expect: 5:35: closing bracket ']' does not match the '(' opened at line 5, column 32
from keras.models import Sequential
from keras.layers import Dense
model = Sequential()
model.add(Dense(3, input_shape=(4,]))
