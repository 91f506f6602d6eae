# After keras-io examples/vision/autoencoder.py ("Convolutional autoencoder for image
# denoising"): its model cell (Input bound to the name `input`, positional kernel sizes, padding
# on pooling), in words of our own.
# total: 28353
#   from the tutorial's printed summary; by hand: four Conv2D 3*3*32*32+32 = 9248 (the first
#   3*3*1*32+32 = 320), and the last 3*3*32*1+1 = 289: 320 + 3*9248 + 289
from tensorflow.keras.models import Model
from tensorflow.keras.layers import Conv2D, MaxPooling2D, Input, UpSampling2D

input = Input(shape=(28, 28, 1))

h = Conv2D(32, (3, 3), activation="relu", padding="same")(input)
h = MaxPooling2D((2, 2), padding="same")(h)
h = Conv2D(32, (3, 3), activation="relu", padding="same")(h)
h = MaxPooling2D((2, 2), padding="same")(h)

h = Conv2D(32, (3, 3), activation="relu", padding="same")(h)
h = UpSampling2D((2, 2))(h)
h = Conv2D(32, (3, 3), activation="relu", padding="same")(h)
h = UpSampling2D((2, 2))(h)
h = Conv2D(1, (3, 3), activation="sigmoid", padding="same")(h)

denoiser = Model(input, h)
denoiser.compile(optimizer="adam", loss="binary_crossentropy")
denoiser.summary()
