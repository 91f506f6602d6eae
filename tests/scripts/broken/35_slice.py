# expect: 6:21: slices are not understood
from keras.models import Sequential
from keras.layers import Dense
sizes = [8, 4, 2]
model = Sequential([Dense(8, input_shape=(4,))])
for units in sizes[1:]:
    model.add(Dense(units))
