# expect: 6:9: the script takes more than 10000000 evaluation steps
from keras.models import Sequential
from keras.layers import Dense
sizes = list(range(99999))
for i in range(10000):
    y = max(sizes)
model = Sequential([Dense(y, input_shape=(4,))])
