"""What the clinic's data files say, read one way and checked before anything runs.

``toml`` reads a file key by key with errors naming file, key and line; ``patterns``
is the one pattern language the files are written in; ``negation`` the one NegEx;
``files`` has a reader per data file (its schema); ``catalog`` the single sources
of treatment ids and medicines that every other file is checked against;
``locale`` finds a language's files; ``prompts`` loads the texts the clinic edits.
``python -m rules check`` reads all of it and reports every problem it finds.

Nothing here decides anything about a message: the layers above compile what
these readers return into their own matchers.
"""
