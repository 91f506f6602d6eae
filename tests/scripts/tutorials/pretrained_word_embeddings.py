# After keras-io examples/nlp/pretrained_word_embeddings.py ("Using pre-trained word
# embeddings"): the vocabulary, embedding-matrix and model cells: an Embedding frozen with
# trainable=False, built with .build((1,)) and filled with set_weights (skipped), then used on an
# int32 Input. The vocabulary's size and the class names come from the data: 20000 words + 2 and
# 20 newsgroups, as the tutorial has them.
# set: num_tokens=20002
# set: class_names.shape=(20,)
# total: 2247516
# trainable: 247316
#   from the tutorial's printed summary; by hand: Embedding 20002*100 = 2000200 (frozen), Conv1D
#   5*100*128+128 = 64128, two Conv1D 5*128*128+128 = 82048, Dense 128*128+128 = 16512, Dense
#   128*20+20 = 2580
import numpy as np
import tensorflow.data as tf_data
import keras
from keras import layers
from keras.layers import TextVectorization

vectorizer = TextVectorization(max_tokens=20000, output_sequence_length=200)
text_ds = tf_data.Dataset.from_tensor_slices(train_samples).batch(128)
vectorizer.adapt(text_ds)
vocabulary = vectorizer.get_vocabulary()
word_index = dict(zip(vocabulary, range(len(vocabulary))))

num_tokens = len(vocabulary) + 2
embedding_dim = 100
found = 0
missing = 0

matrix = np.zeros((num_tokens, embedding_dim))
for word, i in word_index.items():
    vector = glove.get(word)
    if vector is not None:
        matrix[i] = vector
        found += 1
    else:
        missing += 1
print("Converted %d words (%d misses)" % (found, missing))

from keras.layers import Embedding

embedding_layer = Embedding(
    num_tokens,
    embedding_dim,
    trainable=False,
)
embedding_layer.build((1,))
embedding_layer.set_weights([matrix])

sequences = keras.Input(shape=(None,), dtype="int32")
embedded = embedding_layer(sequences)
h = layers.Conv1D(128, 5, activation="relu")(embedded)
h = layers.MaxPooling1D(5)(h)
h = layers.Conv1D(128, 5, activation="relu")(h)
h = layers.MaxPooling1D(5)(h)
h = layers.Conv1D(128, 5, activation="relu")(h)
h = layers.GlobalMaxPooling1D()(h)
h = layers.Dense(128, activation="relu")(h)
h = layers.Dropout(0.5)(h)
probabilities = layers.Dense(len(class_names), activation="softmax")(h)
model = keras.Model(sequences, probabilities)
model.summary()
