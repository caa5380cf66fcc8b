"""offer-catalog: a self-hosted offer catalog and offer-decisioning service."""
