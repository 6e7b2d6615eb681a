"""outage-emulator: the AWS us-east-1 outage of 19-20 October 2025, as Trio actors."""

__version__ = "0.1.0"
