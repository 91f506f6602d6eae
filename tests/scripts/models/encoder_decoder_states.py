# An encoder LSTM whose final h and c start a decoder LSTM (initial_state=[h, c]): 416 + 384 + 27.
from keras.layers import Input, LSTM, Dense
from keras.models import Model
enc_in = Input(shape=(None, 4))
_, h, c = LSTM(8, return_state=True)(enc_in)
dec_in = Input(shape=(None, 3))
dec = LSTM(8, return_sequences=True)(dec_in, initial_state=[h, c])
out = Dense(3, activation='softmax')(dec)
model = Model([enc_in, dec_in], out)
model.summary()
