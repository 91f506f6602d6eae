# expect: 7:5: (None, 32) and (None, 16) differ on axis 1 (32 vs 16)
from keras.layers import Input, Dense, Add
from keras.models import Model
x = Input(shape=(16,))
h = Dense(32, activation='relu')(x)
# a residual connection whose shortcut was not projected to 32
y = Add()([h, x])
model = Model(x, y)
