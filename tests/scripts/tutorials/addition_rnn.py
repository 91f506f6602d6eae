# After keras-io examples/nlp/addition_rnn.py ("Sequence to sequence learning for performing
# number addition"): its parameters and model cells, a loop that adds layers, in words of our own.
# total: 205324
#   from the tutorial's printed summary; by hand: LSTM 4*(128*(12+128)+128) = 72192, LSTM
#   4*(128*(128+128)+128) = 131584, Dense 128*12+12 = 1548
from tensorflow import keras
from tensorflow.keras import layers

DIGITS = 3
MAXLEN = DIGITS + 1 + DIGITS
symbols = "0123456789+ "

print("Build model...")
decoder_depth = 1

model = keras.Sequential()
model.add(layers.LSTM(128, input_shape=(MAXLEN, len(symbols))))
model.add(layers.RepeatVector(DIGITS + 1))
for _ in range(decoder_depth):
    model.add(layers.LSTM(128, return_sequences=True))
model.add(layers.Dense(len(symbols), activation="softmax"))
model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
model.summary()
