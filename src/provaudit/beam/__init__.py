"""Beam wiring: composite PTransforms over the core, runner options and filesystem helpers.
Imports the core and Apache Beam; never a stage or a report."""
