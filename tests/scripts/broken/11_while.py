# expect: 6:1: 'while' blocks are not understood
from keras.models import Sequential
from keras.layers import Dense
model = Sequential([Dense(8, input_shape=(4,))])
n = 3
while n:
    n -= 1
