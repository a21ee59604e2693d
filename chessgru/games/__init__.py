"""PGN in, encoded games out: the reader, player names, the corpus and its cache, the split."""
