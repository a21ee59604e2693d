"""The vocabulary, the network and the model file."""
