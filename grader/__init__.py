"""grader: an autograder for neural networks written from scratch in NumPy."""

__version__ = "0.5.9"
