"""Multi-step conversations (/dance, /animate, /music, …) declared as data, kept in Redis."""
