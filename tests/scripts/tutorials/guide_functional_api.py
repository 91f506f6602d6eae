# After the keras.io guide "The Functional API" (keras-io guides/functional_api.py): its model
# cells in order, in words of our own: inputs.shape and inputs.dtype echoed, plot_model (skipped),
# compile with loss objects, save and load (skipped), del, two models on one graph (an encoder and
# the autoencoder that contains it), models used as layers (encoder(x), decoder(...), an ensemble
# of three models from one function), three inputs and two outputs with per-output losses as a
# list and as a dict by output name, and a small ResNet with layers.add.
# total of mnist_model: 55050
#   from the guide's printed summary; by hand: Dense 784*64+64 = 50240, Dense 64*64+64 = 4160,
#   Dense 64*10+10 = 650
# total of encoder: 18672
#   from the guide's printed summary; by hand: Conv2D 3*3*1*16+16 = 160, Conv2D 3*3*16*32+32 =
#   4640, Conv2D 3*3*32*32+32 = 9248, Conv2D 3*3*32*16+16 = 4624
# total of autoencoder: 28241
#   from the guide's printed summary; by hand: the encoder's 18672, Conv2DTranspose 3*3*1*16+16 =
#   160, 3*3*16*32+32 = 4640, 3*3*32*16+16 = 4624, 3*3*16*1+1 = 145
# total of nested: 28241
#   the same weights with the encoder and decoder as layers (one row each in the summary)
# total of ensemble: 387
#   by hand: three Dense 128+1 = 129
# total of tickets: 1392097
#   by hand: two Embedding 10000*64 = 640000, LSTM 4*(128*(64+128)+128) = 98816, LSTM
#   4*(32*(64+32)+32) = 12416, Dense 172+1 = 173, Dense 172*4+4 = 692
# total: 223242
#   from the guide's printed summary; by hand: Conv2D 3*3*3*32+32 = 896, Conv2D 3*3*32*64+64 =
#   18496, five Conv2D 3*3*64*64+64 = 36928, Dense 64*256+256 = 16640, Dense 256*10+10 = 2570
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

pixels = keras.Input(shape=(784,))
pictures = keras.Input(shape=(32, 32, 3))
pixels.shape
pixels.dtype

first = layers.Dense(64, activation="relu")
h = first(pixels)
h = layers.Dense(64, activation="relu")(h)
logits = layers.Dense(10)(h)
model = keras.Model(inputs=pixels, outputs=logits, name="mnist_model")
model.summary()
keras.utils.plot_model(model, "mnist_model.png", show_shapes=True)
mnist_model = model

(x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
x_train = x_train.reshape(60000, 784).astype("float32") / 255
model.compile(
    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    optimizer=keras.optimizers.RMSprop(),
    metrics=["accuracy"],
)
history = model.fit(x_train, y_train, batch_size=64, epochs=2, validation_split=0.2)
model.save("saved_model")
del model
model = keras.models.load_model("saved_model")

picture = keras.Input(shape=(28, 28, 1), name="img")
h = layers.Conv2D(16, 3, activation="relu")(picture)
h = layers.Conv2D(32, 3, activation="relu")(h)
h = layers.MaxPooling2D(3)(h)
h = layers.Conv2D(32, 3, activation="relu")(h)
h = layers.Conv2D(16, 3, activation="relu")(h)
code = layers.GlobalMaxPooling2D()(h)
encoder = keras.Model(picture, code, name="encoder")
encoder.summary()

h = layers.Reshape((4, 4, 1))(code)
h = layers.Conv2DTranspose(16, 3, activation="relu")(h)
h = layers.Conv2DTranspose(32, 3, activation="relu")(h)
h = layers.UpSampling2D(3)(h)
h = layers.Conv2DTranspose(16, 3, activation="relu")(h)
restored = layers.Conv2DTranspose(1, 3, activation="relu")(h)
autoencoder = keras.Model(picture, restored, name="autoencoder")
autoencoder.summary()

original = keras.Input(shape=(28, 28, 1), name="original_img")
h = layers.Conv2D(16, 3, activation="relu")(original)
h = layers.Conv2D(32, 3, activation="relu")(h)
h = layers.MaxPooling2D(3)(h)
h = layers.Conv2D(32, 3, activation="relu")(h)
h = layers.Conv2D(16, 3, activation="relu")(h)
code = layers.GlobalMaxPooling2D()(h)
encoder2 = keras.Model(original, code, name="encoder")

code_input = keras.Input(shape=(16,), name="encoded_img")
h = layers.Reshape((4, 4, 1))(code_input)
h = layers.Conv2DTranspose(16, 3, activation="relu")(h)
h = layers.Conv2DTranspose(32, 3, activation="relu")(h)
h = layers.UpSampling2D(3)(h)
h = layers.Conv2DTranspose(16, 3, activation="relu")(h)
decoded = layers.Conv2DTranspose(1, 3, activation="relu")(h)
decoder = keras.Model(code_input, decoded, name="decoder")

image = keras.Input(shape=(28, 28, 1), name="img")
nested = keras.Model(image, decoder(encoder2(image)), name="nested")
nested.summary()


def one_model():
    x = keras.Input(shape=(128,))
    y = layers.Dense(1)(x)
    return keras.Model(x, y)


members = [one_model(), one_model(), one_model()]
shared_input = keras.Input(shape=(128,))
votes = [member(shared_input) for member in members]
ensemble = keras.Model(inputs=shared_input, outputs=layers.average(votes))

num_tags = 12
num_words = 10000
num_departments = 4
title = keras.Input(shape=(None,), name="title")
body = keras.Input(shape=(None,), name="body")
tags = keras.Input(shape=(num_tags,), name="tags")
title_features = layers.LSTM(128)(layers.Embedding(num_words, 64)(title))
body_features = layers.LSTM(32)(layers.Embedding(num_words, 64)(body))
h = layers.concatenate([title_features, body_features, tags])
priority = layers.Dense(1, name="priority")(h)
department = layers.Dense(num_departments, name="department")(h)
tickets = keras.Model(inputs=[title, body, tags], outputs=[priority, department])
tickets.compile(
    optimizer=keras.optimizers.RMSprop(1e-3),
    loss=[
        keras.losses.BinaryCrossentropy(from_logits=True),
        keras.losses.CategoricalCrossentropy(from_logits=True),
    ],
    loss_weights=[1.0, 0.2],
)
tickets.compile(
    optimizer=keras.optimizers.RMSprop(1e-3),
    loss={
        "priority": keras.losses.BinaryCrossentropy(from_logits=True),
        "department": keras.losses.CategoricalCrossentropy(from_logits=True),
    },
    loss_weights={"priority": 1.0, "department": 0.2},
)

picture = keras.Input(shape=(32, 32, 3), name="img")
h = layers.Conv2D(32, 3, activation="relu")(picture)
h = layers.Conv2D(64, 3, activation="relu")(h)
block_1 = layers.MaxPooling2D(3)(h)
h = layers.Conv2D(64, 3, activation="relu", padding="same")(block_1)
h = layers.Conv2D(64, 3, activation="relu", padding="same")(h)
block_2 = layers.add([h, block_1])
h = layers.Conv2D(64, 3, activation="relu", padding="same")(block_2)
h = layers.Conv2D(64, 3, activation="relu", padding="same")(h)
block_3 = layers.add([h, block_2])
h = layers.Conv2D(64, 3, activation="relu")(block_3)
h = layers.GlobalAveragePooling2D()(h)
h = layers.Dense(256, activation="relu")(h)
h = layers.Dropout(0.5)(h)
scores = layers.Dense(10)(h)
model = keras.Model(picture, scores, name="toy_resnet")
model.summary()
