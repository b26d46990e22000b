"""Staff-facing: what the clinic reads about its assistant (the feedback votes and their export)."""
