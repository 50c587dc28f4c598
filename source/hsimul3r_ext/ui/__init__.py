"""Isaac Sim UI. Only `extension` needs Kit; this package and `scene_path` import anywhere."""
