# expect: 6:5: more than 100000 loop iterations
from keras.models import Sequential
from keras.layers import Dense
model = Sequential([Dense(3, input_shape=(4,))])
for i in range(100000):
    for j in range(100):
        pass
