# expect: 8:11: layer 'dense' already belongs to another model
from keras.models import Sequential
from keras.layers import Dense
shared = Dense(2)
first = Sequential([Dense(3, input_shape=(4,))])
first.add(shared)
model = Sequential([Dense(3, input_shape=(4,))])
model.add(shared)
