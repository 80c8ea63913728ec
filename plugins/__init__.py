"""Built-in enrichers and scorers, each registered through the ``crm_enrich`` entry points."""
