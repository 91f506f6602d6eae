# expect: 4:36: positional argument follows a keyword argument
from keras.models import Sequential
from keras.layers import Dense
model = Sequential([Dense(units=3, 'relu', input_shape=(4,))])
