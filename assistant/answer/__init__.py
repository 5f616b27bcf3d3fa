"""Answer: judge, compose, instruments, verify."""
