from mytorch.nn.activation import Identity, ReLU, Sigmoid, Tanh
from mytorch.nn.batchnorm import BatchNorm1d
from mytorch.nn.linear import Linear
from mytorch.nn.loss import CrossEntropyLoss, MSELoss
