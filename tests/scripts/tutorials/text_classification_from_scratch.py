# After keras-io examples/nlp/text_classification_from_scratch.py ("Text classification from
# scratch"): its model constants (with the TextVectorization layer of the data pipeline) and its
# model cell, an int64 Input of any length and Conv1D with strides, in words of our own.
# total: 2806273
#   worked by hand (the tutorial prints no summary): Embedding 20000*128 = 2560000, each Conv1D
#   7*128*128+128 = 114816, Dense 128*128+128 = 16512, Dense 128+1 = 129
import tensorflow as tf
import keras
from keras import layers
import string
import re


def standardize(text):
    lowered = tf.strings.lower(text)
    no_html = tf.strings.regex_replace(lowered, "<br />", " ")
    return tf.strings.regex_replace(no_html, f"[{re.escape(string.punctuation)}]", "")


max_features = 20000
embedding_dim = 128
sequence_length = 500

vectorizer = keras.layers.TextVectorization(
    standardize=standardize,
    max_tokens=max_features,
    output_mode="int",
    output_sequence_length=sequence_length,
)

codes = keras.Input(shape=(None,), dtype="int64")
h = layers.Embedding(max_features, embedding_dim)(codes)
h = layers.Dropout(0.5)(h)
h = layers.Conv1D(128, 7, padding="valid", activation="relu", strides=3)(h)
h = layers.Conv1D(128, 7, padding="valid", activation="relu", strides=3)(h)
h = layers.GlobalMaxPooling1D()(h)
h = layers.Dense(128, activation="relu")(h)
h = layers.Dropout(0.5)(h)
scores = layers.Dense(1, activation="sigmoid", name="predictions")(h)

model = keras.Model(codes, scores)
model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
