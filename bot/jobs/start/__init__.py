"""Starting a job: model and provider choice, failover, inputs, admission, submission."""
