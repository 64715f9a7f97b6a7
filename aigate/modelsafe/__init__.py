"""Model-file safety scanners (MODELSAFE), one module per format family.

Every scanner reads bytes and never loads them: no unpickling, no ``np.load``, no ``torch.load``.
Files are classified by their content (magic numbers and structure), never by their names, so
a pickle renamed ``weights.model`` or a payload hidden in a zip member called ``optimizer.bin``
is still walked. The collector (:mod:`aigate.collect.modelsafe`) dispatches to these modules;
the policy (``policies/aigate/controls/modelsafe.rego``) judges the imported callables that the
pickle walker reports against the organisation's ``modelsafe.allow_globals``.
"""
