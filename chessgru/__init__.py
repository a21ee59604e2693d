"""chessgru: learns how specific people play chess and predicts their next move."""

__version__ = "0.1.0"
