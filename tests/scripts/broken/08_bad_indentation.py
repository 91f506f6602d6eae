# expect: 6:5: indentation matches no outer block
from keras.models import Sequential
from keras.layers import Dense
def build(n):
        m = Sequential([Dense(n, input_shape=(4,))])
    return m
model = build(3)
