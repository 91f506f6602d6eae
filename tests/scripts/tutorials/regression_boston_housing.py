# After keras-io examples/structured_data/regression_boston_housing.py ("Regression Model on
# Boston Housing Dataset"): its code as it is: the data loaded and printed, a function that makes
# and compiles the model (input_shape=[x_train.shape[1]], 13 features), fit with a callback,
# evaluate, predict, and the plots.
# set: x_train.shape=(354, 13)
# total: 1537
#   worked by hand (the summary's output is not in the example's source): Dense 13*32+32 = 448,
#   Dense 32*32+32 = 1056, Dense 32*1+1 = 33
import pandas
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers
import matplotlib.pyplot as plt

# The dataset is splitted by 70:30 proportion
(x_train, y_train), (x_test, y_test) = tf.keras.datasets.boston_housing.load_data(
    path="boston_housing.npz", test_split=0.3, seed=42
)

print("Train Dimension:", x_train.shape)
print("Test Dimension:", x_test.shape)


def build_model():
    model = keras.Sequential(
        [
            # input_shape is number of features
            layers.Dense(32, activation="relu", input_shape=[x_train.shape[1]]),
            layers.Dense(32, activation="relu"),
            layers.Dense(1),
        ]
    )

    # The loss function is mean squared error
    # The metrics is Mean Absolute Error and Mean Squared Error
    model.compile(loss="mse", optimizer="adam", metrics=["mae", "mse"])
    return model


# Build the model
model = build_model()
model.summary()

# Use early stopping to break the training if the val_loss doesn't changed in 10 epochs
early_stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=10)


history = model.fit(
    x_train,
    y_train,
    batch_size=32,
    epochs=100,
    verbose=0,
    validation_split=0.3,
    callbacks=[early_stop],
)

plt.plot(history.history["loss"])
plt.plot(history.history["val_loss"])
plt.title("model loss")
plt.ylabel("loss")
plt.xlabel("epoch")
plt.legend(["train", "val"], loc="upper right")
plt.show()

# Test Loss
loss, mae, mse = model.evaluate(x_test, y_test, verbose=2)

prediction = model.predict(x_test).flatten()
prediction

plt.axes(aspect="equal")
plt.scatter(y_test, prediction)
plt.xlabel("True Values")
plt.ylabel("Predictions")
lims = [0, 50]
plt.xlim(lims)
plt.ylim(lims)
plt.plot(lims, lims)
plt.show()

error = prediction - y_test
plt.hist(error, bins=25)
plt.xlabel("Prediction Error [MPG]")
plt.ylabel("Count")
plt.show()
