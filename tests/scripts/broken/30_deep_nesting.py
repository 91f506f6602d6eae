# expect: 4:73: nested too deeply
from keras.models import Sequential
from keras.layers import Dense
units = ((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((3))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))
model = Sequential([Dense(units, input_shape=(4,))])
