"""Documents built from a run's profiles and results: disclosures, their HTML and Markdown
rendering with inline charts, exports, offline Data Docs and console summaries. Imports the
core only; never Beam."""
