# expect: 5:10: slice step cannot be zero
from keras.models import Sequential
from keras.layers import Dense
sizes = [1, 2, 3]
x = sizes[::0]
