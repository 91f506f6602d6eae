# expect: 6:11: layer 'dense' is in model 'sequential' already
from keras.models import Sequential
from keras.layers import Dense
d = Dense(2)
model = Sequential([Dense(3, input_shape=(4,)), d])
model.add(d)
