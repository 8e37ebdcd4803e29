"""gobuild: reproducible, verified Lambda zips for Go functions on provided.al2023."""

__version__ = "0.1.0"
