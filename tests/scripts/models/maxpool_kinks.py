# Max pooling over a whole image: a nudge to a kernel weight moves every window's values at once,
# and some near-ties flip. The gradient check must still pass (tests/check_cli.c).
from keras.models import Sequential
from keras.layers import Conv2D, MaxPooling2D, Flatten, Dense

model = Sequential()
model.add(Conv2D(8, (5, 5), padding='same', input_shape=(16, 16, 1)))
model.add(MaxPooling2D((2, 2)))
model.add(Flatten())
model.add(Dense(1))
