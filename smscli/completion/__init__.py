"""Shell completion: the scripts generated from the app, and the fast ``__complete`` path."""
