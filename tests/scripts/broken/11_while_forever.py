# expect: 6:1: more than 100000 loop iterations
from keras.models import Sequential
from keras.layers import Dense
model = Sequential([Dense(8, input_shape=(4,))])
n = 3
while n > 0:
    n += 1
