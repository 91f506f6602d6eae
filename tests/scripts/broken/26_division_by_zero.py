# expect: 5:30: division by zero
from keras.models import Sequential
from keras.layers import Dense
features = 0
model = Sequential([Dense(12 // features, input_shape=(4,))])
