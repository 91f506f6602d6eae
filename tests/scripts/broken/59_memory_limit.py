# expect: 6:15: the script's values take more than 64 MiB
from keras.models import Sequential
from keras.layers import Dense
sizes = [0] * 99999
for i in range(10000):
    y = sizes + []
model = Sequential([Dense(len(y), input_shape=(4,))])
