# expect: 8:33: layer 'dense' already belongs to another model
from keras.models import Model
from keras.layers import Input, Dense
shared = Dense(2)
a = Input(shape=(4,))
first = Model(inputs=a, outputs=shared(a))
b = Input(shape=(4,))
model = Model(inputs=b, outputs=shared(b))
