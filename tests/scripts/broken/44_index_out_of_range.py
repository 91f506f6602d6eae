# expect: 5:33: index 2 is out of range for 2 items
from keras.models import Sequential
from keras.layers import Dense
sizes = [8, 4]
model = Sequential([Dense(sizes[2], input_shape=(4,))])
