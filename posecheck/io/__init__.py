"""Media in and out: video and image frames, uploads."""
