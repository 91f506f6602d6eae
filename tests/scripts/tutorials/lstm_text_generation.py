# After keras-io examples/generative/lstm_character_level_text_generation.py ("Character-level
# text generation with LSTM"): the text, its characters and the model cell, keras.Input first in
# Sequential([...]) and an RMSprop object; the characters come from the text (56 in the
# tutorial's run).
# set: chars.shape=(56,)
# total: 101944
#   worked by hand (the tutorial prints no summary): LSTM 4*(128*(56+128)+128) = 94720, Dense
#   128*56+56 = 7224
import keras
from keras import layers
import numpy as np
import io

path = keras.utils.get_file(
    "nietzsche.txt",
    origin="https://s3.amazonaws.com/text-datasets/nietzsche.txt",
)
with io.open(path, encoding="utf-8") as f:
    text = f.read().lower()
text = text.replace("\n", " ")
print("Corpus length:", len(text))

chars = sorted(list(set(text)))
print("Total chars:", len(chars))
char_indices = dict((c, i) for i, c in enumerate(chars))

maxlen = 40
step = 3
windows = []
following = []
for i in range(0, len(text) - maxlen, step):
    windows.append(text[i : i + maxlen])
    following.append(text[i + maxlen])

model = keras.Sequential(
    [
        keras.Input(shape=(maxlen, len(chars))),
        layers.LSTM(128),
        layers.Dense(len(chars), activation="softmax"),
    ]
)
optimizer = keras.optimizers.RMSprop(learning_rate=0.01)
model.compile(loss="categorical_crossentropy", optimizer=optimizer)
