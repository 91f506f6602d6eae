# expect: 4:1: 3 values to unpack into 2 names
from keras.models import Sequential
from keras.layers import Dense
timesteps, features = 8, 16, 10
model = Sequential([Dense(3, input_shape=(timesteps, features))])
