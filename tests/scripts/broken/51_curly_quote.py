# expect: 4:41: a curly quote
from keras.models import Sequential
from keras.layers import Dense
model = Sequential([Dense(3, activation=“relu”, input_shape=(4,))])
