"""A real local Nacos server (Java Nacos 3.1 or r-nacos): install, start, log in, stop."""
