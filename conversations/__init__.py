"""The conversation log (conversation_log): ingestion with PII masking, history
and context reads, the operators' log browser, monthly archives and restore.
Above settings_app, whose settings shape how turns are stored and served."""
