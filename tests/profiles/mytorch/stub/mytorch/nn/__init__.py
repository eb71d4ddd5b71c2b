from mytorch.nn.activation import GELU, Identity, ReLU, Sigmoid, Softmax, Tanh
from mytorch.nn.batchnorm import BatchNorm1d
from mytorch.nn.linear import Linear
from mytorch.nn.loss import CrossEntropyLoss, MSELoss
