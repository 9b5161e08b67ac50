"""Tracker and lock stores of ours (loaded by module path from the endpoints files)."""
