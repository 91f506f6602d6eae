# expect: 4:9: range() of more than 100000 numbers
from keras.models import Sequential
from keras.layers import Dense
steps = range(1000000)
model = Sequential([Dense(3, input_shape=(4,))])
