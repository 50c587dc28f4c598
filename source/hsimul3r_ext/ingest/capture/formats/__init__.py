"""Writers of perception tools' file layouts from a synthetic truth."""
