# expect: 6:9: Model() needs inputs= and outputs=
from keras.models import Model
from keras.layers import Input, Dense
x = Input(shape=(3,))
y = Dense(2)(x)
model = Model(inputs=x)
