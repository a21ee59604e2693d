"""Who is playing, and what comes next: the who and lines analyses (to come)."""
