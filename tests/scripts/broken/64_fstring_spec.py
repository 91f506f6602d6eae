# expect: 5:47: the format spec 'q' is not understood
from keras.models import Sequential
from keras.layers import Dense
units = 3
model = Sequential([Dense(units, name=f"dense_{units:q}", input_shape=(4,))])
