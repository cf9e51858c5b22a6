"""Progressive rollouts: the judge, the routers that move traffic, canary and blue-green.

* :mod:`mlci.deploy.judge` — interval verdicts: static thresholds, a sequential
  test of canary against stable, missing evidence never a pass.
* :mod:`mlci.deploy.analysis` — the Prometheus queries behind the checks.
* :mod:`mlci.deploy.routers` — where traffic moves: the user's commands or kubectl.
* :mod:`mlci.deploy.rollout` — the canary and blue-green state machines.
"""
