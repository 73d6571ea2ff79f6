"""The bundled routines (the ``*.toml`` files here), installed as ``posecheck.routine_files``.

This file only makes the folder a package, so :func:`posecheck.programme.routines.routine_dir` finds it
with :mod:`importlib.resources` in an editable install and in a wheel alike.
"""
