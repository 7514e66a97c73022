"""Pure math for the scaling and emergence experiments (numpy/scipy, no models).

`powerlaw`: Chinchilla-style power-law fits with multi-start L-BFGS and a bootstrap.
Import submodules directly (`from intuitions.fit import powerlaw`); this package imports
nothing on its own, so each fit module stays independent."""
