"""Sub-commands of the ``posecheck`` CLI, one module each (see :mod:`posecheck.cli`)."""
