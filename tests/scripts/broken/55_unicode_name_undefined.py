# expect: 5:21: name 'breite' is not defined
from keras.models import Sequential
from keras.layers import Dense
größe = 3
units = größe + 2 * breite
model = Sequential([Dense(units, input_shape=(4,))])
