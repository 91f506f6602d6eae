# After keras-io examples/timeseries/timeseries_weather_forecasting.py ("Timeseries forecasting
# for weather prediction"): the dataset, one-batch peek and model cells, an Input shaped from a
# batch taken in a loop over the dataset; the batch's shape comes from the data, (256, 120, 7).
# set: inputs.shape=(256, 120, 7)
# total: 5153
#   from the tutorial's printed summary; by hand: LSTM 4*(32*(7+32)+32) = 5120, Dense 32+1 = 33
from tensorflow import keras

learning_rate = 0.001
dataset_train = keras.preprocessing.timeseries_dataset_from_array(
    x_train, y_train, sequence_length=120, sampling_rate=6, batch_size=256
)

for batch in dataset_train.take(1):
    inputs, targets = batch

print("Input shape:", inputs.numpy().shape)
print("Target shape:", targets.numpy().shape)

inputs = keras.layers.Input(shape=(inputs.shape[1], inputs.shape[2]))
lstm_out = keras.layers.LSTM(32)(inputs)
outputs = keras.layers.Dense(1)(lstm_out)

model = keras.Model(inputs=inputs, outputs=outputs)
model.compile(optimizer=keras.optimizers.Adam(learning_rate=learning_rate), loss="mse")
model.summary()
