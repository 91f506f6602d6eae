# expect: 6:21: layer 'dense' already belongs to a model
from keras.models import Sequential
from keras.layers import Dense, TimeDistributed
last = Dense(3)
model = Sequential([Dense(4, input_shape=(5, 3)), last])
t = TimeDistributed(last)
