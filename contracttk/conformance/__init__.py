"""The conformance engine: runs the suite against a target and turns failures into findings.

Rooms of one concern each (see ARCHITECTURE.md for the direction of every import):

* ``settings`` / ``keys``: one settings object, resolved once; the key policy;
* ``transport``: one bounded request over HTTP/1.1 or in-process ASGI;
* ``exchange`` / ``failures`` / ``results``: the records checks judge and items collect;
* ``registry`` + ``checks/``: the checks, each declaring its group and strength;
* ``runner`` / ``suite`` / ``suite_protocol`` / ``suite_fuzz``: the items and how they run;
* ``preflight``: can the target be tested at all;
* ``findings`` / ``minimise`` / ``repro`` / ``redact``: root causes, small examples,
  reproductions that reproduce, nothing secret printed;
* ``report`` / ``junit`` / ``session`` / ``replay``: the run's verdict and its files.

Front ends (the pytest plugin in ``contracttk.plugins`` and ``contracttk fuzz``) are thin:
they collect raw settings and hand them to :class:`~contracttk.conformance.session.RunState`.
Nothing here is imported by ``import contracttk``.
"""

from __future__ import annotations
