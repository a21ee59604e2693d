"""The evaluation protocol, the baselines it compares against, and its report."""
