"""End-to-end tests: the daemon as a child process against the session's real broker and
real SeaweedFS S3 server (``s3_server``, registered in the root conftest)."""
