# expect: 5:11: name 'Desne' is not defined
from keras.models import Sequential
from keras.layers import Dense
model = Sequential()
model.add(Desne(3, input_shape=(4,)))
