# expect: 4:10: lambda functions are not supported yet
from keras.models import Sequential
from keras.layers import Dense
double = lambda n: 2 * n
model = Sequential([Dense(double(3), input_shape=(4,))])
