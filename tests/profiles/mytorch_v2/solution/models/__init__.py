from models.mlp import MLP0, MLP1, MLP4
