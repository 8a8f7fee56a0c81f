"""The CDK app: one stack per service, deployable alone."""
