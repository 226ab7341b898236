"""The pure core: plain functions on plain data (records, config, readers, findings, ledger,
overlap logic, profiles, labelling). Imports no Beam, no Great Expectations and no other
layer of provaudit, so every function here is tested without a pipeline."""
