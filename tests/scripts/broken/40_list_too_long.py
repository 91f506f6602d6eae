# expect: 5:15: more than 100000 items
from keras.models import Sequential
from keras.layers import Dense
steps = [0] * 60000
steps = steps + steps
model = Sequential([Dense(3, input_shape=(4,))])
