# expect: 2:17: expected a name after 'as'
import numpy as :np
from keras.models import Sequential
