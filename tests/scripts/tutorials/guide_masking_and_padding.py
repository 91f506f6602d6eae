# After the keras.io guide "Understanding masking & padding" (keras-io
# guides/understanding_masking_and_padding.py): padding written-out sequences, an Embedding with
# mask_zero=True and a Masking layer called on the padded arrays, then the same model as a
# Sequential without an input shape and as a functional model on an int32 Input.
# total: 86272
#   worked by hand (the guide prints no summary): Embedding 5000*16 = 80000, LSTM
#   4*(32*(16+32)+32) = 6272
import numpy as np
import tensorflow as tf
import keras
from keras import layers

sentences = [
    [711, 632, 71],
    [73, 8, 3215, 55, 927],
    [83, 91, 1, 645, 1253, 927],
]
padded = keras.utils.pad_sequences(sentences, padding="post")
print(padded)

embedding = layers.Embedding(input_dim=5000, output_dim=16, mask_zero=True)
embedded = embedding(padded)
print(embedded._keras_mask)

masking = layers.Masking()
as_features = tf.cast(tf.tile(tf.expand_dims(padded, axis=-1), [1, 1, 10]), tf.float32)
masked = masking(as_features)
print(masked._keras_mask)

model = keras.Sequential(
    [
        layers.Embedding(input_dim=5000, output_dim=16, mask_zero=True),
        layers.LSTM(32),
    ]
)

codes = keras.Input(shape=(None,), dtype="int32")
h = layers.Embedding(input_dim=5000, output_dim=16, mask_zero=True)(codes)
last = layers.LSTM(32)(h)
model = keras.Model(codes, last)
