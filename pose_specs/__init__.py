"""The bundled stretch specs (the ``*.toml`` files here), installed as ``posecheck.pose_specs``.

This file only makes the folder a package, so :func:`posecheck.specs.parse.bundled_spec_dir` finds it
with :mod:`importlib.resources` in an editable install and in a wheel alike.
"""
