# expect: 8:32: pass --set timesteps=VALUE
import numpy as np
from keras.models import Sequential
from keras.layers import Dense
X = np.load('x.npy')
timesteps = X.shape[1]
model = Sequential()
model.add(Dense(3, input_shape=(timesteps, 4)))
