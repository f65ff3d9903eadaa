"""Models shipped inside PyPI packages: locating and checking their files, and building
the faster int8 graphs docqa runs from them (once per machine, cached)."""
