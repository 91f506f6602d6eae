# expect: 5:12: more than 32 deep
from keras.models import Sequential
from keras.layers import Dense
def f(n):
    return f(n)
model = Sequential([Dense(f(3), input_shape=(4,))])
