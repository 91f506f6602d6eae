# A functional model with an input that no output uses: Keras accepts it and lists the input in
# the summary; its gradient is zero. (Found by the script reader's fuzz target: the unused input
# had no buffer, and feeding it wrote through a null pointer.)
from tensorflow import keras
from tensorflow.keras import layers

a = keras.Input(shape=(3,))
b = keras.Input(shape=(4,))
model = keras.Model([a, b], layers.Dense(2)(a))
