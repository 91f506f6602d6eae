# expect: 5:11: unknown keyword argument 'activaton'
from keras.models import Sequential
from keras.layers import Dense
model = Sequential()
model.add(Dense(3, activaton='relu', input_shape=(4,)))
