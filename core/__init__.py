"""crm-enrich: label every CRM record with ICP fit and buyer persona, and write it back.

Plugins write ``@crm_enrich.hookimpl`` and never import pluggy themselves.
"""

import pluggy

__version__ = "0.2.0"

hookimpl = pluggy.HookimplMarker("crm_enrich")

__all__ = ["hookimpl", "__version__"]
