# One version for every aiologic distribution; bumped together.
__version__ = "0.18.0.dev0"
__version_tuple__ = (0, 18, 0, "dev0")
