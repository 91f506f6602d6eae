# expect: 6:9: build() needs features
from keras.models import Sequential
from keras.layers import Dense
def build(units, features):
    return Sequential([Dense(units, input_shape=(features,))])
model = build(3)
