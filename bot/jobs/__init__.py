"""Jobs: the model, its Redis store and state machine, submission, delivery and reconciling."""
