"""Work that runs beside the jobs: the reconciler, progress, status notices."""
