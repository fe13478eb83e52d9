"""Media handling: recognising image formats and downloading result files safely."""
