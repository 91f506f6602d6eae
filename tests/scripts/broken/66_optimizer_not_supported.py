# expect: 6:54: the optimizer Nadam is not supported yet: use SGD, RMSprop or Adam
import keras
from keras.models import Sequential
from keras.layers import Dense
model = Sequential([Dense(3, input_shape=(4,))])
model.compile(loss='mse', optimizer=keras.optimizers.Nadam(learning_rate=0.01))
