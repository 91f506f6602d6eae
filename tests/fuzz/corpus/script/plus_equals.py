from keras.models import Sequential
from keras.layers import Dense
sizes = [8]
sizes += [16]
model = Sequential([Dense(sizes[1], input_shape=(3,)), Dense(1)])
model.compile(loss="mse", optimizer="adam")
