# expect: 4:18: a list of more than 100000 items
from keras.models import Sequential
from keras.layers import Dense
x = [0, 0, 0, 0] * 4611686018427387905
model = Sequential([Dense(len(x), input_shape=(4,))])
