# expect: 6:9: the outputs depend on the Input 'input_1', which is not among the model's inputs
from keras.models import Model
from keras.layers import Input, Dense
a = Input(shape=(3,))
b = Input(shape=(3,))
model = Model(inputs=b, outputs=Dense(2)(a))
