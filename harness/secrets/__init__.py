"""Secret hygiene: nothing a run saw of an account reaches disk, and recordings are audited.

- `patterns`: the facts the scrubber, the vault, the leak check and the settings share;
- `vault`: every secret a run has seen, each with one consistent, shape-keeping placeholder;
- `keep`: the keep-list, which says what of an answer's text may stay (structure, what the
  scenario wrote, PagerDuty's sentences); the rest is replaced by class-keeping placeholders;
- `answers`: the keep-list applied to a response body, string by string;
- `scrub`: discovery (learn secrets from exchanges) and the chain of scrubbers wired into vcrpy;
- `leaks`: the fail-closed search of a finished recording for every known secret;
- `audit/`: `harness audit`, an independent scan of any recording for secrets.
"""
