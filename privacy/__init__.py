"""GDPR erasure and export requests and the job that answers them, across
users, the hot log and its archives. The top app: it reaches into the others."""
