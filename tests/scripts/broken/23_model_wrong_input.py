# expect: 7:5: model 'encoder' takes input 0 of shape (None, 3), and was called on (None, 5)
from keras.models import Model
from keras.layers import Input, Dense
a = Input(shape=(3,))
encoder = Model(a, Dense(2)(a), name='encoder')
b = Input(shape=(5,))
z = encoder(b)
