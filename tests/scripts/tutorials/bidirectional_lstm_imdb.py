# After keras-io examples/nlp/bidirectional_lstm_imdb.py ("Bidirectional LSTM on IMDB"): its
# model cell, an int32 Input of any length before an Embedding, in words of our own.
# total: 2757761
#   from the tutorial's printed summary; by hand: Embedding 20000*128 = 2560000, each
#   Bidirectional(LSTM(64)) 2*4*(64*(128+64)+64) = 98816, Dense 128+1 = 129
from tensorflow import keras
from tensorflow.keras import layers

vocabulary = 20000
review_length = 200

words = keras.Input(shape=(None,), dtype="int32")
h = layers.Embedding(vocabulary, 128)(words)
h = layers.Bidirectional(layers.LSTM(64, return_sequences=True))(h)
h = layers.Bidirectional(layers.LSTM(64))(h)
positive = layers.Dense(1, activation="sigmoid")(h)
model = keras.Model(words, positive)
model.summary()
