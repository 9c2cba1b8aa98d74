"""The subcommands of ``armsim`` besides running a scene (:mod:`armsim.cli`).

``armsim ops`` (:mod:`~armsim.commands.ops`: forward- versus reverse-mode operation
counts), ``armsim sweep`` (:mod:`~armsim.commands.sweep`: a grid of calibration runs)
and ``armsim schema`` (:mod:`~armsim.commands.schema`: the scene format's JSON Schema).
:mod:`~armsim.commands.options` holds the argument types they share.
"""
