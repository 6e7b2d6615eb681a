"""The components of the incident, one module each, coupled only by messages."""
