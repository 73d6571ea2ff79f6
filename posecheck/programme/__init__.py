"""A programme over weeks: routines, the history database, progress, the physio report."""
