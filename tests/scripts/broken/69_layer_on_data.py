# expect: 6:5: layer 'dense' is called on 'x', which is bound to data (line 5: x = np.load("x.npy"))
import numpy as np
from keras import layers
layer = layers.Dense(4)
x = np.load("x.npy")
y = layer(x)
