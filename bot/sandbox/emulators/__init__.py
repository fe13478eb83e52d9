"""In-process emulators of the services Photobot talks to."""
