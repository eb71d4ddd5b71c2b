from mytorch.optim.sgd import SGD
