"""Running the process: serving, start-up checks, logging, Docker's health check."""
