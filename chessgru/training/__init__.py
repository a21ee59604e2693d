"""Training: the settings, the data plan, the epoch loop, checkpoints, the run's report."""
