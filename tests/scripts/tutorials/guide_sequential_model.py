# After the keras.io guide "The Sequential model" (keras-io guides/sequential_model.py): its
# cells in order, in words of our own: add() and pop() before an input shape is known, a layer
# and a model built by calling them on tf.ones(...), keras.Input added first, summary() anywhere,
# model.layers echoed, a feature extractor cut from a Sequential model's tensors (inputs, every
# layer's output, get_layer(name=...).output), and freezing every layer but the last.
# total of built_by_call: 35
#   from the guide's printed summary; by hand: Dense 4*2+2 = 10, Dense 2*3+3 = 9, Dense 3*4+4 = 16
# total of with_input: 10
#   from the guide's printed summary; by hand: Dense 4*2+2 = 10
# total of downsampler: 49002
#   by hand (the guide prints it before the last two layers, 48672): Conv2D 5*5*3*32+32 = 2432,
#   five Conv2D 3*3*32*32+32 = 9248, Dense 32*10+10 = 330
# total of all_features: 20928
#   by hand: Conv2D 2432 and two Conv2D 9248
# total of one_feature: 11680
#   by hand: Conv2D 2432 and Conv2D 9248, up to the layer asked for
# total: 27562
# trainable: 330
#   by hand: Dense 784*32+32 = 25120, two Dense 32*32+32 = 1056, Dense 32*10+10 = 330, all but
#   the last frozen
import tensorflow as tf
import keras
from keras import layers

stack = keras.Sequential()
stack.add(layers.Dense(2, activation="relu"))
stack.add(layers.Dense(3, activation="relu"))
stack.add(layers.Dense(4))
stack.pop()
print(len(stack.layers))  # 2

dense = layers.Dense(3)
dense.weights  # nothing yet
probe = tf.ones((1, 4))
out = dense(probe)
dense.weights  # a (4, 3) kernel and a (3,) bias now

built_by_call = keras.Sequential(
    [
        layers.Dense(2, activation="relu"),
        layers.Dense(3, activation="relu"),
        layers.Dense(4),
    ]
)
probe = tf.ones((1, 4))
out = built_by_call(probe)
print("Weights after the call:", len(built_by_call.weights))
built_by_call.summary()

with_input = keras.Sequential()
with_input.add(keras.Input(shape=(4,)))
with_input.add(layers.Dense(2, activation="relu"))
with_input.summary()
with_input.layers

downsampler = keras.Sequential()
downsampler.add(keras.Input(shape=(250, 250, 3)))
downsampler.add(layers.Conv2D(32, 5, strides=2, activation="relu"))
downsampler.add(layers.Conv2D(32, 3, activation="relu"))
downsampler.add(layers.MaxPooling2D(3))
downsampler.summary()
downsampler.add(layers.Conv2D(32, 3, activation="relu"))
downsampler.add(layers.Conv2D(32, 3, activation="relu"))
downsampler.add(layers.MaxPooling2D(3))
downsampler.add(layers.Conv2D(32, 3, activation="relu"))
downsampler.add(layers.Conv2D(32, 3, activation="relu"))
downsampler.add(layers.MaxPooling2D(2))
downsampler.summary()
downsampler.add(layers.GlobalMaxPooling2D())
downsampler.add(layers.Dense(10))

base = keras.Sequential(
    [
        keras.Input(shape=(250, 250, 3)),
        layers.Conv2D(32, 5, strides=2, activation="relu"),
        layers.Conv2D(32, 3, activation="relu"),
        layers.Conv2D(32, 3, activation="relu"),
    ]
)
all_features = keras.Model(
    inputs=base.inputs,
    outputs=[layer.output for layer in base.layers],
)
probe = tf.ones((1, 250, 250, 3))
maps = all_features(probe)

base = keras.Sequential(
    [
        keras.Input(shape=(250, 250, 3)),
        layers.Conv2D(32, 5, strides=2, activation="relu"),
        layers.Conv2D(32, 3, activation="relu", name="middle"),
        layers.Conv2D(32, 3, activation="relu"),
    ]
)
one_feature = keras.Model(
    inputs=base.inputs,
    outputs=base.get_layer(name="middle").output,
)

model = keras.Sequential(
    [
        keras.Input(shape=(784,)),
        layers.Dense(32, activation="relu"),
        layers.Dense(32, activation="relu"),
        layers.Dense(32, activation="relu"),
        layers.Dense(10),
    ]
)
for layer in model.layers[:-1]:
    layer.trainable = False
