"""People, their games and learning: the game database and its importers (to come)."""
