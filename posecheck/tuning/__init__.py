"""Tuning: labelled footage, the numpy replay of the frame rules, scores and sweeps."""
