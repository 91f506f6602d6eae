# expect: 5:11: LSTM is not implemented yet
from keras.models import Sequential
from keras.layers import LSTM, Dense
model = Sequential()
model.add(LSTM(32, input_shape=(10, 4)))
model.add(Dense(1))
