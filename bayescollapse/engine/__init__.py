"""The engine: run configuration, the generation loop, schemes, schedules, streams, sweeps.

Model-agnostic: it reaches families only through :mod:`bayescollapse.models.protocols`
and the registries.
"""
