"""Pictures: the annotated frame, the per-video plot, the batch's index.html."""
