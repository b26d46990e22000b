"""Turn the clinic's documents into the on-disk index: read, find structure, chunk, embed, write."""
