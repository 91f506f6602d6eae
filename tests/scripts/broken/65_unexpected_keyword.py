# expect: 6:20: build() got an unexpected keyword argument 'unit'
from keras.models import Sequential
from keras.layers import Dense
def build(units=3, features=4):
    return Sequential([Dense(units, input_shape=(features,))])
model = build(unit=8)
