"""posecheck: check psoas and hip-flexor stretches with one camera.

Pipeline (see docs/ARCHITECTURE.md)::

    frame + t_ms -> PoseEstimator -> PoseFrame -> smoothing -> checks(spec)
      -> HoldTimer -> feedback -> FrameReport -> drawing / page / CLI JSON
"""

__version__ = "0.1.0"
