"""provaudit: training-data provenance auditing on Apache Beam."""

__version__ = "0.1.0"
