# After keras-io examples/timeseries/timeseries_forecasting_with_lstm_for_temperature_prediction.py
# ("Timeseries forecasting with LSTM for temperature prediction"): the peek at one batch (a loop
# left with break, str.format) and the model cell; the batch's shape comes from the data: 10 days
# of 3 features.
# set: inputs.shape=(128, 10, 3)
# total: 1941
#   from the tutorial's printed summary; by hand: LSTM 4*(20*(3+20)+20) = 1920, Dense 20+1 = 21
from tensorflow import keras
from tensorflow.keras import layers
import tensorflow as tf

dataset_train = tf.keras.preprocessing.timeseries_dataset_from_array(
    X_train, y_train, sequence_length=10, sequence_stride=1
)
for batch in dataset_train:
    inputs, targets = batch
    break
sample = inputs.numpy()
print("Input shape:  {}".format(sample.shape))
print("Target shape: {}".format(targets.numpy().shape))

model = keras.Sequential(
    [
        layers.Input(shape=(inputs.shape[1], inputs.shape[2])),
        # layers.LSTM(20, return_sequences=True),
        layers.LSTM(20, return_sequences=False),
        layers.Dense(1),
    ]
)
model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="mse")
model.summary()
