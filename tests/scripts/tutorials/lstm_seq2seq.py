# After keras-io examples/nlp/lstm_seq2seq.py ("Character-level recurrent sequence-to-sequence
# model"): its configuration and model cells; the token counts come from the data, so they are
# given as the tutorial prints them (71 input and 93 output tokens).
# set: num_encoder_tokens=71
# set: num_decoder_tokens=93
# total: 718173
#   worked by hand (the tutorial prints no summary): encoder LSTM 4*(256*(71+256)+256) = 335872,
#   decoder LSTM 4*(256*(93+256)+256) = 358400, Dense 256*93+93 = 23901
import numpy as np
import keras
import os
from pathlib import Path

archive = keras.utils.get_file(origin="http://www.manythings.org/anki/fra-eng.zip")
folder = Path(archive).parent.absolute()
os.system(f"unzip -q {archive} -d {folder}")

batch_size = 64
epochs = 100
latent_dim = 256
data_path = os.path.join(folder, "fra.txt")

encoder_inputs = keras.Input(shape=(None, num_encoder_tokens))
encoder = keras.layers.LSTM(latent_dim, return_state=True)
encoder_outputs, state_h, state_c = encoder(encoder_inputs)
encoder_states = [state_h, state_c]

decoder_inputs = keras.Input(shape=(None, num_decoder_tokens))
decoder_lstm = keras.layers.LSTM(latent_dim, return_sequences=True, return_state=True)
decoder_outputs, _, _ = decoder_lstm(decoder_inputs, initial_state=encoder_states)
decoder_dense = keras.layers.Dense(num_decoder_tokens, activation="softmax")
decoder_outputs = decoder_dense(decoder_outputs)

model = keras.Model([encoder_inputs, decoder_inputs], decoder_outputs)
model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
