# After keras-io examples/timeseries/multivariate_timeseries_forecasting_using_lstm.py
# ("Multivariate Time Series Forecasting using LSTM"): its parameter and model cells,
# tf.keras.layers.LeakyReLU(alpha=...), and compile with tf.losses, tf.optimizers and tf.metrics
# objects.
# total: 249665
#   worked by hand (the tutorial does not print its summary): LSTM 4*(128*(5+128)+128) = 68608,
#   LSTM 4*(128*(128+128)+128) = 131584, LSTM 4*(64*(128+64)+64) = 49408, Dense 64+1 = 65
import pandas as pd
from tensorflow.keras.preprocessing.sequence import TimeseriesGenerator
import tensorflow as tf

window = 60
batch_size = 62
num_features = 5
train_batches = TimeseriesGenerator(x_train, y_train, length=window, batch_size=batch_size)

model = tf.keras.Sequential()
model.add(
    tf.keras.layers.LSTM(128, input_shape=(window, num_features), return_sequences=True)
)
model.add(tf.keras.layers.LeakyReLU(alpha=0.5))
model.add(tf.keras.layers.LSTM(128, return_sequences=True))
model.add(tf.keras.layers.LeakyReLU(alpha=0.5))
model.add(tf.keras.layers.Dropout(0.3))
model.add(tf.keras.layers.LSTM(64, return_sequences=False))
model.add(tf.keras.layers.Dropout(0.3))
model.add(tf.keras.layers.Dense(1))
model.summary()
model.compile(
    loss=tf.losses.MeanSquaredError(),
    optimizer=tf.optimizers.Adam(),
    metrics=[tf.metrics.MeanAbsoluteError()],
)
