# expect: 4:10: a no-break space
from keras.models import Sequential
from keras.layers import Dense
units = 3 + 1
model = Sequential([Dense(units, input_shape=(4,))])
