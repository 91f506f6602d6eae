# After keras-io examples/nlp/imdb_lstm_sentiment.py ("Sentiment analysis with LSTM on the IMDB
# dataset"): its model cell, which uses Embedding, LSTM and Dense without importing them, and an
# LSTM with dropout=.
# total: 771713
#   worked by hand: Embedding 5000*128 = 640000, LSTM
#   4*(128*(128+128)+128) = 131584, Dense 128+1 = 129
import keras
from keras.models import Sequential

model = Sequential()
model.add(Embedding(input_dim=5000, output_dim=128, input_shape=(200,)))
model.add(LSTM(128, dropout=0.2))
model.add(Dense(1, activation="sigmoid"))
model.summary()
model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
