"""vizff: train the simplest numpy network on MNIST and render how it learns."""

__version__ = "0.1.0"
