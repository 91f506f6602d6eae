# After the keras.io guide "Working with RNNs" (keras-io guides/working_with_rnns.py): the cells
# whose models have an input shape, in words of our own: an encoder's states as a decoder's
# initial_state, a stateful LSTM called on arrays of random numbers and its states reused, and a
# Bidirectional stack given input_shape.
# total of seq2seq: 258698
#   from the guide's printed summary; by hand: Embedding 1000*64 = 64000, Embedding 2000*64 =
#   128000, two LSTM 4*(64*(64+64)+64) = 33024, Dense 64*10+10 = 650
# total: 80266
#   from the guide's printed summary; by hand: Bidirectional 2*4*(64*(10+64)+64) = 38400,
#   Bidirectional 2*4*(32*(128+32)+32) = 41216, Dense 64*10+10 = 650
import numpy as np
import tensorflow as tf
import keras
from keras import layers

encoder_vocab = 1000
decoder_vocab = 2000

source = layers.Input(shape=(None,))
source_embedded = layers.Embedding(input_dim=encoder_vocab, output_dim=64)(source)
output, state_h, state_c = layers.LSTM(64, return_state=True, name="encoder")(source_embedded)
encoder_state = [state_h, state_c]

target = layers.Input(shape=(None,))
target_embedded = layers.Embedding(input_dim=decoder_vocab, output_dim=64)(target)
decoded = layers.LSTM(64, name="decoder")(target_embedded, initial_state=encoder_state)
output = layers.Dense(10)(decoded)
seq2seq = keras.Model([source, target], output)
seq2seq.summary()

part1 = np.random.random((20, 10, 50)).astype(np.float32)
part2 = np.random.random((20, 10, 50)).astype(np.float32)
part3 = np.random.random((20, 10, 50)).astype(np.float32)

remembering = layers.LSTM(64, stateful=True)
output = remembering(part1)
output = remembering(part2)
existing_state = remembering.states
fresh = layers.LSTM(64)
new_output = fresh(part3, initial_state=existing_state)
remembering.reset_states()

model = keras.Sequential()
model.add(layers.Bidirectional(layers.LSTM(64, return_sequences=True), input_shape=(5, 10)))
model.add(layers.Bidirectional(layers.LSTM(32)))
model.add(layers.Dense(10))
model.summary()
