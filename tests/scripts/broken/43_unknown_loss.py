# expect: 5:7: unknown loss 'mean_squared_eror'
from keras.models import Sequential
from keras.layers import Dense
model = Sequential([Dense(3, input_shape=(4,))])
model.compile(loss='mean_squared_eror', optimizer='adam')
