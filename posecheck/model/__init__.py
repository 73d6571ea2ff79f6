"""The pose model: provisioning the bundles, PoseEstimator, the landmark cache."""
