"""One module per CLI verb (scan, overlap, profile, validate, disclose): each reads what the
stage before wrote in a run folder, runs its pipeline or builder and writes its outputs."""
