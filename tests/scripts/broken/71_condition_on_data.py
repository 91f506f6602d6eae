# expect: 7:4: this condition depends on 'rows', which is bound to data (line 6: rows = len(x_train))
import numpy as np
from keras.models import Sequential
from keras.layers import Dense
x_train = np.load("x.npy")
rows = len(x_train)
if rows > 100:
    model = Sequential([Dense(8, input_shape=(4,))])
