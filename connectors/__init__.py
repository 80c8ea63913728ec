"""Built-in connectors, each registered through the ``crm_enrich`` entry points."""
