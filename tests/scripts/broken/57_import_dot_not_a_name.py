# expect: 2:14: expected a name after '.'
import keras.(layers)
from keras.models import Sequential
