# expect: 5:27: *args and **kwargs are not understood
from keras.models import Sequential
from keras.layers import Dense
args = (3,)
model = Sequential([Dense(*args, input_shape=(4,))])
