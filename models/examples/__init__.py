"""Worked examples of the extension point, shipped and tested (see ``CONTRIBUTING.md``).

- :mod:`~bayescollapse.models.examples.add_one`: a point estimator registered under its
  own method name, ``add-one``.
- :mod:`~bayescollapse.models.examples.logistic_normal`: a user-written PyMC model (a
  logistic-normal prior on the token probabilities), method ``logistic-normal``.

Importing a module registers its method; name it as a plugin to use it from a TOML file
(``plugins = ["bayescollapse.models.examples.add_one"]``) or the command line
(``--plugin bayescollapse.models.examples.add_one --method add-one``).
"""
