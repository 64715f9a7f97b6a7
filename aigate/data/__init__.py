"""Data files shipped with aigate: default policy data and scaffold templates."""
