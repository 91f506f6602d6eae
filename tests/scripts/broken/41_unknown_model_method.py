# expect: 6:7: model.fitt() is not understood
from keras.models import Sequential
from keras.layers import Dense
model = Sequential([Dense(3, input_shape=(4,))])
model.compile(loss='mse', optimizer='adam')
model.fitt(epochs=10)
