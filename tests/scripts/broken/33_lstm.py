# expect: 5:11: expects (batch, timesteps, features), got (None, 31)
from keras.models import Sequential
from keras.layers import LSTM, Dense
model = Sequential()
model.add(LSTM(32, input_shape=(31,)))
model.add(Dense(1))
