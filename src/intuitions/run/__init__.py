"""The main job: `intuitions run` (config, cached steps, progress) and its report."""
