"""intuitions: six intuitions about large language models, measured."""

__version__ = "0.1.0"
