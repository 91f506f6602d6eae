# expect: 6:5: layer 'dense' is called on 'x', which is bound to data (line 5: x = tf.ones((2, 3)))
import tensorflow as tf
from keras import layers
layer = layers.Dense(4)
x = tf.ones((2, 3))
y = layer(x)
