# expect: 2:5: byte 0xF6 is not UTF-8 text
# Größe in Latin-1
from keras.models import Sequential
model = Sequential()
