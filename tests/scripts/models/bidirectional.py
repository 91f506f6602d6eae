# A bidirectional model for the visualizer's layout tests: Bidirectional LSTM (concat) over
# variable-length sequences, a second Bidirectional GRU summed, and a per-step Dense.
from keras.models import Sequential
from keras.layers import LSTM, GRU, Dense, Bidirectional, TimeDistributed

model = Sequential()
model.add(Bidirectional(LSTM(6, return_sequences=True), input_shape=(None, 3)))
model.add(Bidirectional(GRU(4, return_sequences=True), merge_mode='sum'))
model.add(TimeDistributed(Dense(2, activation='sigmoid')))
model.summary()
