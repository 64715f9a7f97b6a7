"""Operations evidence: drift, Evidently reports, alert rules (promtool), LLM evaluations, notifications.

Heavy numeric imports (numpy, scipy, pyarrow: the ``aigate[drift]`` extra) happen inside these
modules only, so ``aigate --help`` and the gate's fast path never pay for them.
"""
