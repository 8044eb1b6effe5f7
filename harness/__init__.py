"""Record-and-replay regression harness for the PagerDuty REST v2 and Events v2 APIs."""

__version__ = "0.1.0"
