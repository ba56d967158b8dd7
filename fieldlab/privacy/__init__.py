"""Privacy (AVG): retention after day 100, export of everything held about one person, erasure."""
